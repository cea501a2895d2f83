"""MQTT for wamr-agent (docs/mqtt.md): the topic tree and its payloads
(``topics``), command results as JSON (``results``), broker addresses and paho
clients (``client``), a client's requests and subscriptions (``requester``), and a
local mosquitto (``broker``). No part of it imports the CLI."""

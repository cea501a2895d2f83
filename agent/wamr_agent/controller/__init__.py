"""The rollout controller (docs/rollouts.md): `wamr-agent controller` keeps
rollouts in SQLite and drives them through the gateways over MQTT.

plan.py: targets, waves, thresholds; store.py: the database; link.py: the MQTT
connection and the fleet view; device_run.py: one device's part; service.py: the
dispatcher and the scheduler; run.py: the process (signals, defaults)."""

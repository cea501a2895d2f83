"""`wamr-agent gateway` (docs/gateway.md): the configuration (``config``), the
dispatcher and its MQTT connection (``service``), one worker per device that owns
its SMP link (``worker``), the command table and idempotent answers
(``commands``), what is published (``outbox``, ``observe``), and ``run`` (broker,
devices, signals)."""

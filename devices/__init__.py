"""Devices over MQTT: the vendor-neutral topic and payload schema (schema.py), vendor adapters (adapters.py), the one
gateway process that holds the broker connection (gateway.py), sending commands from any process through the
database (commands.py), what events do (handlers.py) and the simulator (simulator.py). Rows live in
workflows.devices; this package imports workflows and never the reverse."""

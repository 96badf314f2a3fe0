"""The wire contract: the metric vocabulary and every MQTT topic, shared by ingest, the demo and the tools.

No I/O and nothing from paho: values and strings only, so both sides of the wire use one definition.
"""

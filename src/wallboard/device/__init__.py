"""The appliance's brain: config, MQTT source, ingest, board state, rules, cache and the run loop.

Importing this package has no side effects: nothing connects, opens or spawns
until ``device.cli.main`` builds the objects.
"""

__version__ = "0.1.0"

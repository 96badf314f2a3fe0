"""The appliance's brain, the layer the outputs read: config, MQTT source, ingest, board state, rules, cache.

Importing this package has no side effects: nothing connects, opens or spawns
until ``app.cli.main`` builds the objects.
"""

__version__ = "0.1.0"

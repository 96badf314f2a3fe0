"""Everything that drives physical signals: GPIO lamps, serial tower lights, the MCU bridge, sound cues.

Signals only read the board's alarm state. Importing this package opens no
device and imports no hardware library.
"""

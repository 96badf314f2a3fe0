"""The wallboard appliance, installed as one package.

The repository keeps the design card's top-level folders (``device/``,
``display/``, ``firmware_bridge/``); ``src/wallboard/`` links them under this
one import name, so a site's Python has ``wallboard.device``,
``wallboard.display`` and ``wallboard.firmware_bridge`` and no generic
top-level names. Importing it has no side effects.
"""

from wallboard.device import __version__

__all__ = ["__version__"]

"""The wallboard appliance, installed as one package.

The repository keeps the design card's top-level folders (``device/``,
``display/``, ``firmware_bridge/``, ``feeds/``); ``src/wallboard/`` links them
under this one import name, so a site's Python has ``wallboard.device``,
``wallboard.display``, ``wallboard.firmware_bridge`` and ``wallboard.feeds``
and no generic top-level names. Importing it has no side effects.
"""

from wallboard.device import __version__

__all__ = ["__version__"]

"""The wallboard appliance, installed as one package.

The code lives here, in real files, one folder per layer (top to bottom):
``app`` (the command, the run loop, the demo, IT's tools) and ``feeds`` (the
platform adapters, their own process); the outputs ``display``,
``firmware_bridge`` and ``ops``; and ``device``, the brain the outputs read
(edge, core, config, wire, util). The repository's root keeps the design
card's folders as links to these, so a reader finds them where the card says
and every tool that resolves ``wallboard.x.y`` finds a real file. Importing it
has no side effects.
"""

from wallboard.device import __version__

__all__ = ["__version__"]

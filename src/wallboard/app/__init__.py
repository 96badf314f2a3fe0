"""The top of the stack: the ``wallboard`` command, the run loop, the demo and IT's tools.

Everything here builds and runs the layers below it (the outputs in ``display``,
``firmware_bridge`` and ``ops``; the brain in ``device``); nothing below imports it.
"""

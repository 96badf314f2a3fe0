"""Which audio outputs SDL sees, and which of them ``[signals.sound] output`` means.

``list_outputs`` asks SDL (the copy inside pygame-ce) for its audio driver and output device names
without opening any device, so it works even when the default device will not open: the case an
installer needs it for. ``pick_output`` turns ``output = "hdmi"`` or ``"headphones"`` into the first
device whose name says so (SDL names an ALSA device by the first line of its description, e.g.
``vc4-hdmi-0, MAI PCM i2s-hifi-0`` or ``bcm2835 Headphones, bcm2835 Headphones`` on a Pi).
Nothing here plays sound; ``mixer`` does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_SDL_INIT_AUDIO = 0x00000010
# The words that name each output in SDL's device names (matched case-insensitively).
OUTPUT_WORDS: dict[str, tuple[str, ...]] = {"hdmi": ("hdmi",), "headphones": ("headphones", "headphone")}


@dataclass(frozen=True)
class AudioOutputs:
    """SDL's audio driver and its output device names, in SDL's order."""

    driver: str
    names: tuple[str, ...]


def pick_output(output: str, names: Sequence[str]) -> str | None:
    """The first of ``names`` that is the ``output`` asked for; None for "auto" or when none is."""
    for name in names:
        if any(word in name.lower() for word in OUTPUT_WORDS.get(output, ())):
            return name
    return None


def _sdl() -> ctypes.CDLL:
    """SDL2 as pygame-ce loaded it (its wheel's bundled copy, else the system's)."""
    import pygame  # loads SDL into the process; the CDLL below then finds the same library

    bundled = sorted((Path(pygame.__file__).resolve().parent.parent / "pygame_ce.libs").glob("libSDL2-2*.so*"))
    path = str(bundled[0]) if bundled else ctypes.util.find_library("SDL2-2.0")
    if path is None:
        raise RuntimeError("SDL2 not found (pygame-ce installed without its bundled SDL, and no system libSDL2)")
    sdl = ctypes.CDLL(path)
    sdl.SDL_GetError.restype = ctypes.c_char_p
    sdl.SDL_GetCurrentAudioDriver.restype = ctypes.c_char_p
    sdl.SDL_GetAudioDeviceName.restype = ctypes.c_char_p
    sdl.SDL_GetAudioDeviceName.argtypes = (ctypes.c_int, ctypes.c_int)
    return sdl


def list_outputs() -> AudioOutputs:
    """SDL's audio driver (``$SDL_AUDIODRIVER`` or its own pick) and output devices; RuntimeError if none starts."""
    sdl = _sdl()
    if sdl.SDL_InitSubSystem(_SDL_INIT_AUDIO) != 0:
        raise RuntimeError(f"SDL's audio did not start: {sdl.SDL_GetError().decode(errors='replace')}")
    try:
        driver = (sdl.SDL_GetCurrentAudioDriver() or b"?").decode(errors="replace")
        count = max(0, int(sdl.SDL_GetNumAudioDevices(0)))
        names = tuple((sdl.SDL_GetAudioDeviceName(index, 0) or b"").decode(errors="replace") for index in range(count))
    finally:
        sdl.SDL_QuitSubSystem(_SDL_INIT_AUDIO)
    return AudioOutputs(driver=driver, names=names)

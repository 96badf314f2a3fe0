"""Sound cues on the TV's speakers through pygame.mixer, or nowhere.

``open_sound`` returns a ``MixerSound`` when an audio device opens and a
``NullSound`` (after one clear log line) when it does not: a board without
speakers still runs. Playing never blocks (the mixer mixes on SDL's audio
thread). Nothing from pygame leaves this module, and it never touches
pygame.display.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from firmware_bridge.chimes import CHIMES, chime_wav
from firmware_bridge.settings import SoundSettings

log = logging.getLogger(__name__)


class SoundSink(Protocol):
    """Where chimes go."""

    def play(self, chime: str) -> None:
        """Start playing ``chime`` and return at once."""
        ...

    def close(self) -> None:
        """Stop any sound and release the device."""
        ...


class NullSound:
    """No sound at all: sound disabled, or no audio device."""

    def play(self, chime: str) -> None:
        return None

    def close(self) -> None:
        return None


class RecordingSound:
    """A fake sink that records ``(time, chime)`` for every chime it is asked to play."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.played: list[tuple[float, str]] = []
        self.closed = False

    def play(self, chime: str) -> None:
        with self._lock:
            self.played.append((self._clock(), chime))

    def close(self) -> None:
        self.closed = True


class MixerSound:
    """Chimes through pygame.mixer, built in memory from ``firmware_bridge.chimes``."""

    def __init__(self, mixer: Any, volume: float) -> None:
        self._mixer = mixer
        self._sounds: dict[str, Any] = {}
        for name in CHIMES:
            sound = mixer.Sound(file=io.BytesIO(chime_wav(name)))
            sound.set_volume(volume)
            self._sounds[name] = sound
        self.plays = 0

    def play(self, chime: str) -> None:
        sound = self._sounds.get(chime)
        if sound is None:
            log.warning("no chime named %r", chime)
            return
        self._mixer.stop()  # a new cue replaces one still ringing, never piles up on it
        sound.play()
        self.plays += 1

    def close(self) -> None:
        try:
            self._mixer.stop()
            self._mixer.quit()
        except Exception as exc:  # the device may have gone; nothing to leave in a safe state
            log.debug("closing the mixer: %s", exc)


def open_sound(settings: SoundSettings) -> SoundSink:
    """The mixer if sound is enabled and an audio device opens; otherwise the null sink, saying why once."""
    if not settings.enabled:
        log.info("sound cues are off in the config")
        return NullSound()
    import pygame.mixer

    try:
        pygame.mixer.init(frequency=22050, size=-16, channels=1, buffer=1024, devicename=settings.device or None)
        return MixerSound(pygame.mixer, settings.volume)
    except pygame.error as exc:
        where = f'"{settings.device}"' if settings.device else "the default audio device"
        log.warning("no audio (%s: %s): sound cues are off, lamps still work", where, exc)
        return NullSound()

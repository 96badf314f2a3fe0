"""Sound cues on the TV's speakers through pygame.mixer, or nowhere.

``open_sound`` returns a ``MixerSound`` when an audio device opens and a
``NullSound`` (after one clear log line) when it does not: a board without
speakers still runs. Playing never blocks (the mixer mixes on SDL's audio
thread). An open device costs CPU even in silence (SDL's audio thread mixes
silence: 0.12 % of a core, a third of a still board's cost), so after five
quiet seconds the device is released and opened again for the next chime,
which then starts a few milliseconds later (a minute was too long: a board in
alarm repeating its chime every 10 s kept the device open all the time). Nothing from pygame leaves this module,
and it never touches pygame.display.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from wallboard.device.config.signals_schema import SoundSettings
from wallboard.firmware_bridge.sound.alsa_noise import alsa_noise_caught
from wallboard.firmware_bridge.sound.chimes import CHIMES, chime_wav

log = logging.getLogger(__name__)


class SoundSink(Protocol):
    """Where chimes go."""

    def play(self, chime: str) -> None:
        """Start playing ``chime`` and return at once."""
        ...

    def release_if_idle(self) -> None:
        """Let go of the audio device if nothing has played for a while (called every pass; cheap)."""
        ...

    def close(self) -> None:
        """Stop any sound and release the device."""
        ...


class NullSound:
    """No sound at all: sound disabled, or no audio device."""

    def __init__(self, reason: str = "off") -> None:
        self.reason = reason

    def health_report(self) -> dict[str, object]:
        """Why there is no sound."""
        return {"audio": self.reason}

    def play(self, chime: str) -> None:
        return None

    def release_if_idle(self) -> None:
        return None

    def close(self) -> None:
        return None


class MixerSound:
    """Chimes through pygame.mixer, built in memory from ``firmware_bridge.sound.chimes``."""

    def __init__(
        self,
        mixer: Any,
        volume: float,
        *,
        init_args: dict[str, Any] | None = None,
        release_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._mixer = mixer
        self._volume = volume
        self._init_args = init_args or {}
        self._release_after = release_after
        self._clock = clock
        self._wavs = {name: chime_wav(name) for name in CHIMES}
        self._sounds: dict[str, Any] = {}
        self._load()
        self._quiet_from = clock()
        self.plays = 0
        self.releases = 0

    @property
    def device_open(self) -> bool:
        return bool(self._sounds)

    def health_report(self) -> dict[str, object]:
        """Whether the audio device is open (it is released while quiet), and chimes played."""
        return {"audio": "open" if self._sounds else "released while quiet", "plays": self.plays}

    def _load(self) -> None:
        self._sounds = {}
        for name, wav in self._wavs.items():
            sound = self._mixer.Sound(file=io.BytesIO(wav))
            sound.set_volume(self._volume)
            self._sounds[name] = sound

    def play(self, chime: str) -> None:
        if chime not in self._wavs:
            log.warning("no chime named %r", chime)
            return
        if not self._sounds:
            with alsa_noise_caught() as noise:
                try:
                    self._mixer.init(**self._init_args)
                    self._load()
                    error = None
                except Exception as exc:  # the device went away while released: this cue is lost, the next retries
                    error = exc
            if error is not None:
                said = f"; {noise.summary()}" if noise.lines else ""
                log.warning("audio device did not open again (%s%s); chime %r not played", error, said, chime)
                return
        self._mixer.stop()  # a new cue replaces one still ringing, never piles up on it
        sound = self._sounds[chime]
        sound.play()
        self.plays += 1
        self._quiet_from = self._clock() + float(sound.get_length())

    def release_if_idle(self) -> None:
        if self._sounds and self._clock() - self._quiet_from >= self._release_after:
            self._sounds = {}
            self._release()
            self.releases += 1

    def _release(self) -> None:
        try:
            self._mixer.stop()
            self._mixer.quit()
        except Exception as exc:  # the device may have gone; nothing to leave in a safe state
            log.debug("closing the mixer: %s", exc)

    def close(self) -> None:
        self._sounds = {}
        self._release()


def open_sound(settings: SoundSettings) -> SoundSink:
    """The mixer if sound is enabled and an audio device opens; otherwise the null sink, saying why once."""
    if not settings.enabled:
        log.info("sound cues are off in the config")
        return NullSound("off in the config")
    import pygame.mixer

    init_args: dict[str, Any] = {
        "frequency": 22050,
        "size": -16,
        "channels": 1,
        "buffer": 1024,
        "devicename": choose_device(settings),
    }
    device = init_args["devicename"]
    where = f'"{device}"' if device else "the default audio device"
    # libasound writes its own lines (8 with no sound card) to stderr: caught, and said in this one line.
    with alsa_noise_caught() as noise:
        try:
            pygame.mixer.init(**init_args)
            error = None
        except pygame.error as exc:
            error = exc
    said = f"; {noise.summary()}" if noise.lines else ""
    if error is not None:
        log.warning("no audio (%s: %s%s): sound cues are off, lamps still work", where, error, said)
        return NullSound(f"no audio device ({where}: {error}{said})"[:200])
    if noise.lines:
        log.info("audio opened on %s; %s", where, noise.summary())
    return MixerSound(pygame.mixer, settings.volume, init_args=init_args)


def choose_device(settings: SoundSettings) -> str | None:
    """The SDL device to open: ``device`` if named, else the one ``output`` means, else None (the default).

    An ``output`` that no device matches is logged with the names SDL sees, and the default is used: a
    chime from the wrong speaker beats none, and the log says how to fix it.
    """
    if settings.device:
        return settings.device
    if settings.output == "auto":
        return None
    from wallboard.firmware_bridge.sound.devices import list_outputs, pick_output

    with alsa_noise_caught() as noise:  # probing the devices makes libasound speak too: kept for this line
        try:
            outputs = list_outputs()
            error = None
        except RuntimeError as exc:
            error = exc
    if error is not None:
        said = f"; {noise.summary()}" if noise.lines else ""
        log.warning('sound output "%s": %s%s; using the default device', settings.output, error, said)
        return None
    chosen = pick_output(settings.output, outputs.names)
    if chosen is None:
        log.warning('sound output "%s": no such device among %s (SDL audio driver %s); using the default device',
                    settings.output, list(outputs.names), outputs.driver)  # fmt: skip
    else:
        log.info('sound output "%s": %s', settings.output, chosen)
    return chosen

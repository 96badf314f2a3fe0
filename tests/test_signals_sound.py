"""Sound cues: chimes synthesised with the stdlib, played through pygame.mixer, and no crash without audio."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import wave
from typing import Any

import pytest

from tests.helpers import ManualClock
from wallboard.device.config.signals_schema import SoundSettings
from wallboard.firmware_bridge.sound.chimes import CHIMES, RATE, chime_wav
from wallboard.firmware_bridge.sound.mixer import MixerSound, NullSound, open_sound


@pytest.mark.parametrize("name", CHIMES)
def test_each_chime_is_a_short_mono_16bit_wav_without_clipping(name: str) -> None:
    """Every chime opens with the wave module: mono, 16-bit, 22.05 kHz, under 1.5 s, peak below full scale."""
    with wave.open(io.BytesIO(chime_wav(name))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        frames = wav.readframes(wav.getnframes())
        assert 0.3 < wav.getnframes() / RATE < 1.5
    samples = memoryview(frames).cast("h")
    assert 10_000 < max(abs(s) for s in samples) < 32_767


def test_mixer_plays_chimes_on_the_dummy_audio_driver() -> None:
    """With SDL's dummy driver the mixer opens and plays each chime without blocking."""
    assert os.environ.get("SDL_AUDIODRIVER") == "dummy"
    sink = open_sound(SoundSettings(volume=0.5))
    try:
        assert isinstance(sink, MixerSound)
        for name in CHIMES:
            sink.play(name)
        assert sink.plays == len(CHIMES)
    finally:
        sink.close()


def test_absent_audio_device_is_one_log_line_and_a_null_sink(caplog: pytest.LogCaptureFixture) -> None:
    """A named audio device that does not exist: a NullSound and one warning that says sound is off."""
    with caplog.at_level(logging.WARNING):
        sink = open_sound(SoundSettings(device="no such speakers"))
    assert isinstance(sink, NullSound)
    lines = [r.getMessage() for r in caplog.records if r.name == "wallboard.firmware_bridge.sound.mixer"]
    assert len(lines) == 1 and "sound cues are off" in lines[0] and "no such speakers" in lines[0]
    sink.play("critical")  # and playing into it is harmless


def test_no_audio_driver_at_all_does_not_crash_a_process() -> None:
    """In a process whose SDL has no usable audio driver, open_sound returns the null sink."""
    code = (
        "from wallboard.firmware_bridge.sound.mixer import open_sound, NullSound\n"
        "from wallboard.device.config.signals_schema import SoundSettings\n"
        "assert isinstance(open_sound(SoundSettings()), NullSound)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "SDL_AUDIODRIVER": "no-such-driver", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok" and "sound cues are off" in done.stderr


def test_disabled_sound_never_opens_the_mixer() -> None:
    """enabled = false: the null sink, without touching pygame's mixer."""
    assert isinstance(open_sound(SoundSettings(enabled=False)), NullSound)


def test_mixer_releases_the_audio_device_after_a_quiet_minute_and_reopens_for_the_next_chime() -> None:
    """After 60 quiet seconds the device is let go (no silent mixing); the next chime opens it again."""
    import pygame.mixer

    clock = ManualClock()
    args: dict[str, Any] = {"frequency": 22050, "size": -16, "channels": 1, "buffer": 1024}
    pygame.mixer.init(**args)
    sink = MixerSound(pygame.mixer, 0.5, init_args=args, release_after=60.0, clock=clock)
    try:
        sink.play("warn")
        clock.now = 59.0
        sink.release_if_idle()
        assert sink.device_open and pygame.mixer.get_init() is not None
        clock.now = 62.0  # the warn chime lasts about a second, then 60 s of quiet
        sink.release_if_idle()
        assert not sink.device_open and pygame.mixer.get_init() is None and sink.releases == 1
        sink.play("critical")
        assert sink.device_open and pygame.mixer.get_init() is not None and sink.plays == 2
    finally:
        sink.close()
    assert pygame.mixer.get_init() is None

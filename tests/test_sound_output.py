"""Choosing the chimes' speaker: SDL's device names, `output = "hdmi"/"headphones"`, `wallboard sound`."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import board_toml
from tests.helpers import WriteConfig
from wallboard.device.config.reading import load_config
from wallboard.device.config.signals_schema import SoundSettings
from wallboard.device.errors import ConfigError
from wallboard.firmware_bridge.sound.devices import list_outputs, pick_output
from wallboard.firmware_bridge.sound.mixer import choose_device

WALLBOARD = Path(sys.executable).parent / "wallboard"
# Output names in SDL's form (the first line of each ALSA device's description) for a Pi 4's two HDMI ports
# and its 3.5 mm jack; the exact strings on a given Pi are what `wallboard sound --list` prints there.
PI_OUTPUTS = (
    "vc4-hdmi-0, MAI PCM i2s-hifi-0",
    "vc4-hdmi-1, MAI PCM i2s-hifi-0",
    "bcm2835 Headphones, bcm2835 Headphones",
)


def _sound(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    return subprocess.run([str(WALLBOARD), "sound", *args], capture_output=True, text=True, timeout=60, env=env)


def test_output_picks_the_first_device_that_says_so() -> None:
    """ "hdmi" takes the first HDMI port, "headphones" the jack; "auto" and an absent kind pick nothing."""
    assert pick_output("hdmi", PI_OUTPUTS) == PI_OUTPUTS[0]
    assert pick_output("headphones", PI_OUTPUTS) == PI_OUTPUTS[2]
    assert pick_output("auto", PI_OUTPUTS) is None
    assert pick_output("headphones", PI_OUTPUTS[:2]) is None


def test_sdl_lists_its_driver_and_devices_without_opening_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the dummy driver SDL names one output; a driver that cannot start is an error saying so."""
    outputs = list_outputs()
    assert outputs.driver == "dummy" and len(outputs.names) >= 1
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-audio")
    with pytest.raises(RuntimeError, match="no-such-audio"):
        list_outputs()


def test_an_output_no_device_matches_falls_back_to_the_default_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The board logs the names SDL sees and opens the default device; a named device wins over output."""
    with caplog.at_level(logging.WARNING):
        assert choose_device(SoundSettings(output="headphones")) is None
    assert 'sound output "headphones": no such device among' in caplog.text
    assert choose_device(SoundSettings(output="hdmi", device="Exact Name")) == "Exact Name"
    assert choose_device(SoundSettings()) is None


def test_config_takes_an_output_and_rejects_an_unknown_one(tmp_path: Path, write_config: WriteConfig) -> None:
    """`[signals.sound] output` is "auto", "hdmi" or "headphones"; anything else names the key."""
    good = load_config(write_config(board_toml(1883, tmp_path, '[signals.sound]\noutput = "headphones"\n')))
    assert good.config.signals.sound.output == "headphones"
    with pytest.raises(ConfigError, match=r"signals\.sound\.output"):
        load_config(write_config(board_toml(1883, tmp_path, '[signals.sound]\noutput = "hdmi2"\n'), "bad.toml"))


def test_sound_list_command() -> None:
    """`wallboard sound --list` prints SDL's audio driver and its device names."""
    result = _sound("--list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "SDL audio driver: dummy"
    assert "  System audio output device" in result.stdout.splitlines()


def test_sound_test_command_plays_and_refuses_a_missing_output(tmp_path: Path, write_config: WriteConfig) -> None:
    """`--test` plays the tone on the config's device (exit 0); an output no device matches is exit 1."""
    config = write_config(board_toml(1883, tmp_path, '[signals.sound]\ndevice = "System audio output device"\n'))
    played = _sound("--test", "--config", str(config))
    assert played.returncode == 0, played.stdout + played.stderr
    assert 'played the test tone on "System audio output device"' in played.stdout
    missing = _sound("--test", "--output", "hdmi")
    assert missing.returncode == 1
    assert "no output device is \"hdmi\" among ['System audio output device']" in missing.stdout

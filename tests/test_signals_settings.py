"""The [signals] config section: safe defaults, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard.device.config.reading import load_config
from wallboard.device.config.signals_schema import SignalSettings
from wallboard.device.errors import ConfigError
from wallboard.firmware_bridge.lights import LampMode
from wallboard.firmware_bridge.policy import light_for

BASE = '[site]\nid = "lab"\n[board]\nid = "b1"\n'


def _load(tmp_path: Path, extra: str) -> SignalSettings:
    path = tmp_path / "board.toml"
    path.write_text(BASE + extra)
    return load_config(path).config.signals


def _errors(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "board.toml"
    path.write_text(BASE + extra)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_defaults_are_green_normal_amber_warn_red_blink_critical_and_never_green_when_blind() -> None:
    """The default patterns: green steady, amber steady, red blinking, and blind as amber blinking with green off."""
    settings = SignalSettings()
    assert light_for(settings.normal).green is LampMode.ON
    assert light_for(settings.warn).amber is LampMode.ON
    assert light_for(settings.critical).red is LampMode.BLINK
    assert settings.critical.sound == "repeat"
    blind = light_for(settings.blind)
    assert (blind.amber, blind.green) == (LampMode.BLINK, LampMode.OFF)


def test_partial_state_table_keeps_that_states_other_defaults(tmp_path: Path) -> None:
    """Setting only critical.every keeps critical's red blink and repeating chime."""
    settings = _load(tmp_path, '[signals.critical]\nevery = "10s"\n')
    assert (settings.critical.red, settings.critical.sound, float(settings.critical.every)) == ("blink", "repeat", 10)


def test_full_gpio_config_loads(tmp_path: Path) -> None:
    """A GPIO backend with relays (active low), a buzzer and a button loads as written."""
    settings = _load(
        tmp_path,
        '[signals]\nbackend = "gpio"\nblink_period = "800ms"\n'
        "[signals.gpio]\nred = { pin = 17, active_high = false }\namber = { pin = 27 }\ngreen = { pin = 22 }\n"
        'buzzer = { pin = 23 }\n[signals.button]\npin = 26\nbounce_time = "30ms"\n',
    )
    assert settings.gpio.red is not None and settings.gpio.red.active_high is False
    assert float(settings.blink_period) == pytest.approx(0.8)
    assert float(settings.button.bounce_time) == pytest.approx(0.03)


def test_blind_green_is_refused(tmp_path: Path) -> None:
    """A config that would show green while blind is an error naming signals.blind.green."""
    message = _errors(tmp_path, '[signals.blind]\ngreen = "on"\n')
    assert "signals.blind.green" in message and "never show green" in message


def test_duplicate_gpio_pin_and_unknown_key_are_reported_with_paths(tmp_path: Path) -> None:
    """A pin used twice and a typo each produce a line naming the key."""
    message = _errors(
        tmp_path, '[signals]\nbackend = "gpio"\n[signals.gpio]\nred = { pin = 17 }\n[signals.button]\npin = 17\n'
    )
    assert "signals.button.pin: GPIO 17 is already used by signals.gpio.red.pin" in message
    typo = _errors(tmp_path, '[signals.critical]\nrde = "on"\n')
    assert "signals.critical.rde: unknown key" in typo


def test_bad_backend_volume_and_repeat_are_errors(tmp_path: Path) -> None:
    """An unknown backend, a volume over 1 and a repeat faster than 1s are each refused."""
    assert "signals.backend" in _errors(tmp_path, '[signals]\nbackend = "laser"\n')
    assert "signals.sound.volume" in _errors(tmp_path, "[signals.sound]\nvolume = 3.0\n")
    assert "signals.warn.every" in _errors(tmp_path, '[signals.warn]\nsound = "repeat"\nevery = "100ms"\n')

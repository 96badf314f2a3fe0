"""Config loading: extends, typed validation, and errors that name the file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard.device.config.reading import load_config, load_config_text
from wallboard.device.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

SITE = """
[site]
id = "london"
[mqtt]
host = "broker.example"
port = 1884
"""


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_shipped_example_configs_load() -> None:
    """Both example boards load, inheriting the site file's broker and rules."""
    for name in ("floor1", "floor2"):
        loaded = load_config(REPO / "config" / "boards" / f"{name}.toml")
        assert loaded.config.site.id == "london"
        assert loaded.config.board.id == name
        assert len(loaded.config.rule) == 5
        assert len(loaded.files) == 2


def test_board_extends_site_and_board_keys_win(tmp_path: Path) -> None:
    """Tables merge key by key; the board's value wins over the site's."""
    _write(tmp_path, "site.toml", SITE)
    board = _write(tmp_path, "boards/b.toml", 'extends = "../site.toml"\n[board]\nid = "b"\n[mqtt]\nport = 1999\n')
    config = load_config(board).config
    assert (config.mqtt.host, config.mqtt.port) == ("broker.example", 1999)


def test_wrong_type_names_file_key_path_and_value(tmp_path: Path) -> None:
    """A string where a number belongs is reported as file: rule[N].key: expected a number, got "..."."""
    _write(tmp_path, "site.toml", SITE)
    rules = "".join(f'[[rule]]\nmetric = "q.calls_waiting"\nwarn_above = {v}\n' for v in ("1", "2", '"eighty"'))
    board = _write(tmp_path, "boards/floor2.toml", f'extends = "../site.toml"\n[board]\nid = "floor2"\n{rules}')
    assert _problems(board) == [f'{board}: rule[3].warn_above: expected a number, got "eighty"']


def test_unknown_key_is_an_error_in_the_file_that_has_it(tmp_path: Path) -> None:
    """A typo in the site file is reported against the site file, with a suggestion."""
    site = _write(tmp_path, "site.toml", SITE + "hots = 3\n")
    board = _write(tmp_path, "boards/b.toml", 'extends = "../site.toml"\n[board]\nid = "b"\n')
    assert _problems(board) == [f'{site}: mqtt.hots: unknown key; did you mean "host"?']


def test_every_problem_is_reported_in_one_run(tmp_path: Path) -> None:
    """Several independent mistakes each get their own line."""
    text = """
[site]
id = "s"
[board]
id = "b"
nmae = "x"
[mqtt]
port = "1883"
keepalive = "soon"
"""
    problems = _problems(_write(tmp_path, "b.toml", text))
    assert len(problems) == 3
    assert any("board.nmae: unknown key" in p for p in problems)
    assert any('mqtt.port: expected a whole number, got "1883"' in p for p in problems)
    assert any('mqtt.keepalive: expected a duration like "30s", "5m" or "1h30m", got "soon"' in p for p in problems)


def test_missing_required_key(tmp_path: Path) -> None:
    """A board without [board] id is refused, naming the key."""
    problems = _problems(_write(tmp_path, "b.toml", '[site]\nid = "s"\n'))
    assert problems == [f"{tmp_path / 'b.toml'}: board: required key is missing"]


def test_durations_parse(tmp_path: Path) -> None:
    """Durations accept 30s, 5m, 1h30m, 250ms and bare seconds."""
    text = '[site]\nid = "s"\n[board]\nid = "b"\n[mqtt]\nkeepalive = "1m"\nreconnect_min = 2\nreconnect_max = "1h30m"\n'
    text += '[[rule]]\nmetric = "q.asa_s"\nwarn_above = 1\nhold = "250ms"\n'
    config = load_config(_write(tmp_path, "b.toml", text)).config
    assert (config.mqtt.keepalive, config.mqtt.reconnect_min, config.mqtt.reconnect_max) == (60.0, 2.0, 5400.0)
    assert config.rule[0].hold == 0.25


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("warn_above = 5\nwarn_below = 3", "rule[1]: expected warn_/critical_above or warn_/critical_below"),
        ("warn_above = 10\ncritical_above = 5", "rule[1].critical_above: expected critical_above to be beyond"),
        ("warn_below = 80\ncritical_below = 90", "rule[1].critical_below: expected critical_below to be beyond"),
        ("warn_above = 1\nhysteresis = -1", "rule[1].hysteresis: expected a number from 0 to 1e9"),
    ],
)
def test_rule_consistency(tmp_path: Path, rule: str, expected: str) -> None:
    """Rules with no direction, two directions, inverted levels or negative hysteresis are refused."""
    text = f'[site]\nid = "s"\n[board]\nid = "b"\n[[rule]]\nmetric = "q.calls_waiting"\n{rule}\n'
    problems = _problems(_write(tmp_path, "b.toml", text))
    assert any(expected in p for p in problems), problems


def test_password_file_must_be_readable(tmp_path: Path) -> None:
    """A password_file that does not exist is reported before the board tries to connect."""
    text = '[site]\nid = "s"\n[board]\nid = "b"\n[mqtt]\nusername = "u"\npassword_file = "nope.txt"\n'
    problems = _problems(_write(tmp_path, "b.toml", text))
    expected = f'{tmp_path / "b.toml"}: mqtt.password_file: expected a readable file, "nope.txt" cannot be read'
    assert problems == [expected]


def test_mapped_topic_needs_a_known_metric_kind(tmp_path: Path) -> None:
    """A mapped metric outside the wire contract must be declared with a kind."""
    text = '[site]\nid = "s"\n[board]\nid = "b"\n[[topic]]\ntopic = "acd/x"\nmetric = "q.callbacks"\n'
    problems = _problems(_write(tmp_path, "b.toml", text))
    assert any("topic[1].metric" in p and "declare it in [[metric]]" in p for p in problems)
    text += '[[metric]]\nkey = "q.callbacks"\nkind = "count"\n'
    assert load_config(_write(tmp_path, "b.toml", text)).config.kind_of("q.callbacks") is not None


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    """Broken TOML and a missing file give one clear line each."""
    assert "not valid TOML" in _problems(_write(tmp_path, "b.toml", "[site\n"))[0]
    assert _problems(tmp_path / "absent.toml") == [f"{tmp_path / 'absent.toml'}: file not found"]


def test_extends_loop_is_refused(tmp_path: Path) -> None:
    """A file that extends itself (through another) is refused instead of looping."""
    _write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    _write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    assert "may not extend itself" in _problems(tmp_path / "a.toml")[0]


def test_config_text_from_memory_is_validated_the_same_way() -> None:
    """A config held in memory (e.g. received over MQTT) gets the same checks and a checksum."""
    loaded = load_config_text('[site]\nid = "s"\n[board]\nid = "b"\n')
    assert loaded.config.board.id == "b" and len(loaded.checksum) == 16
    with pytest.raises(ConfigError) as caught:
        load_config_text('[site]\nid = "s"\n[board]\nid = "b"\nbogus = 1\n', name="remote")
    assert caught.value.problems == ["remote: board.bogus: unknown key (known keys: id, name)"]

"""Config messages a person acts on: a missing `extends` file, a metric typo, a host written as a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard.app.cli import main
from wallboard.device.config.reading import load_config
from wallboard.device.errors import ConfigError
from wallboard.feeds.errors import FeedConfigError
from wallboard.feeds.feed_config import load_feed_config

SITE = '[site]\nid = "london"\n'


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_missing_extends_file_names_the_board_file_the_key_and_the_path(tmp_path: Path) -> None:
    """`extends = "../sites/londn.toml"` says the board file, `extends`, the path as written and where it looked."""
    _write(tmp_path, "sites/london.toml", SITE)
    board = _write(tmp_path, "boards/floor1.toml", 'extends = "../sites/londn.toml"\n[board]\nid = "floor1"\n')
    assert _problems(board) == [
        f'{board}: extends: file not found: "../sites/londn.toml" (looked for {tmp_path / "sites" / "londn.toml"})'
    ]


def test_wallboard_check_prints_the_missing_extends_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`wallboard check` on a board whose site file is misspelt prints that line and exits 1."""
    board = _write(tmp_path, "floor1.toml", 'extends = "londn.toml"\n[board]\nid = "floor1"\n')
    assert main(["check", str(board)]) == 1
    out = capsys.readouterr().out
    assert f'{board}: extends: file not found: "londn.toml" (looked for {tmp_path / "londn.toml"})' in out


@pytest.mark.parametrize(
    ("widget_or_rule", "where"),
    [
        ('[[display.page]]\nname = "Now"\nwidget = [{ type = "kpi", metric = "sales.calls_witing" }]\n',
         "display.page[1].widget[1].metric"),
        ('[[rule]]\nmetric = "sales.calls_witing"\nwarn_above = 5\nhold = "10s"\n', "rule[1].metric"),
        ('[[topic]]\ntopic = "acd/waiting"\nformat = "number"\nmetric = "sales.calls_witing"\n', "topic[1].metric"),
        ('[[metric]]\nkey = "sales.calls_witing"\nlabel = "Calls waiting"\n', "metric[1].key"),
    ],
)  # fmt: skip
def test_a_metric_typo_suggests_the_near_name(tmp_path: Path, widget_or_rule: str, where: str) -> None:
    """`sales.calls_witing` on a tile, rule, mapped topic or label: did you mean "sales.calls_waiting"?"""
    board = _write(tmp_path, "b.toml", f'{SITE}[board]\nid = "b"\n{widget_or_rule}')
    problems = _problems(board)
    assert problems == [
        f'{board}: {where}: "sales.calls_witing" is not a wire-contract field; did you mean "sales.calls_waiting"?'
    ]


def test_a_name_far_from_any_field_still_asks_for_a_declaration(tmp_path: Path) -> None:
    """A site's own metric (nothing near it in the wire contract) is still told to declare it in [[metric]]."""
    widget = '[[display.page]]\nname = "Now"\nwidget = [{ type = "kpi", metric = "sales.nps_survey_score" }]\n'
    board = _write(tmp_path, "b.toml", f'{SITE}[board]\nid = "b"\n{widget}')
    assert _problems(board) == [
        f'{board}: display.page[1].widget[1].metric: "sales.nps_survey_score" is not a wire-contract field; '
        "declare it in [[metric]]"
    ]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("mqtt://broker.example:1884",
         'expected a host name or address without a scheme, got "mqtt://broker.example:1884"; '
         'write host = "broker.example" and port = 1884'),
        ("mqtts://broker.example",
         'expected a host name or address without a scheme, got "mqtts://broker.example"; '
         'write host = "broker.example" and port = 8883 and a [mqtt.tls] table'),
        ("broker.example:1884",
         'expected a host name or address without a port, got "broker.example:1884"; '
         'write host = "broker.example" and port = 1884'),
    ],
)  # fmt: skip
def test_check_refuses_a_host_with_a_scheme_or_a_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str, expected: str
) -> None:
    """`host = "mqtt://..."` (which `run` retries as "host not found" for ever) fails `check`, saying what to write."""
    board = _write(tmp_path, "b.toml", f'{SITE}[board]\nid = "b"\n[mqtt]\nhost = "{host}"\n')
    assert main(["check", str(board)]) == 1
    assert f"{board}: mqtt.host: {expected}" in capsys.readouterr().out


def test_plain_hosts_and_addresses_pass(tmp_path: Path) -> None:
    """A name, an IPv4 and an IPv6 address are hosts: no problem is reported."""
    for host in ("broker.example", "10.0.0.5", "::1"):
        board = _write(tmp_path, "b.toml", f'{SITE}[board]\nid = "b"\n[mqtt]\nhost = "{host}"\n')
        assert load_config(board).config.mqtt.host == host


def test_a_feed_config_refuses_a_host_with_a_scheme(tmp_path: Path) -> None:
    """A feed's `[mqtt] host = "mqtt://..."` is refused the same way, naming the file and the key."""
    text = '[feed]\nsite = "london"\ntime_zone = "Europe/London"\n[mqtt]\nhost = "mqtt://10.0.0.5"\n'
    path = _write(tmp_path, "feed.toml", text)
    with pytest.raises(FeedConfigError) as caught:
        load_feed_config(path)
    assert str(caught.value) == (
        f'{path}: mqtt.host: expected a host name or address without a scheme, got "mqtt://10.0.0.5"; '
        'write host = "10.0.0.5" and port = 1883'
    )


def _readme_examples() -> list[str]:
    """The message lines in the README's config reference, under "List positions in messages count from 1"."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("List positions in messages count from 1:\n\n```\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def test_the_readme_message_examples_are_what_check_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's extends, typo and host lines are printed word for word by `wallboard check` on such files."""
    monkeypatch.chdir(tmp_path)
    examples = _readme_examples()
    _write(tmp_path, "config/sites/london.toml", f'{SITE}[mqtt]\nhost = "mqtt://broker.example:1883"\n')
    _write(tmp_path, "config/boards/floor1.toml", 'extends = "../sites/londn.toml"\n[board]\nid = "floor1"\n')
    assert main(["check", "config/boards/floor1.toml"]) == 1
    assert examples[2] in capsys.readouterr().out.splitlines()
    rule = '[[rule]]\nmetric = "sales.calls_witing"\nwarn_above = 5\nhold = "15s"\n'
    _write(tmp_path, "config/boards/floor1.toml", f'extends = "../sites/london.toml"\n[board]\nid = "floor1"\n{rule}')
    assert main(["check", "config/boards/floor1.toml"]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert examples[3] in printed and examples[4] in printed

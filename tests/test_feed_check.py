"""`wallboard check` on a tree with boards and feed configs: metrics the site's feed cannot supply, credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard.app.cli import main

ASTERISK_FEED = """
[feed]
site = "london"
time_zone = "Europe/London"
[mqtt]
username = "feed-london"
password_file = "$CREDENTIALS_DIRECTORY/mqtt-password"
[asterisk]
username = "wallboard"
secret_file = "ami.secret"
"""

BOARD = """
[site]
id = "{site}"
[board]
id = "floor"
[[queue]]
id = "sales"
sl_counts = "{sl_counts}"
[[topic]]
topic = "acd/london/wrap"
metric = "sales.agents_wrap"
[[rule]]
metric = "sales.staffing_gap"
warn_above = 0
hold = "1m"
[[rule]]
metric = "sales.service_level_pct"
warn_below = 80
hold = "30s"
[[display.page]]
columns = 3
rows = 2
widget = [
    {{ type = "kpi", metric = "sales.occupancy_pct", at = [1, 1] }},
    {{ type = "kpi", metric = "sales.agents_wrap", at = [2, 1] }},
    {{ type = "trend", metric = "sales.service_level_pct", at = [3, 1] }},
    {{ type = "agents", queue = "sales", at = [1, 2] }},
    {{ type = "kpi", metric = "sales.chats_waiting", at = [2, 2] }},
]
"""


def _tree(folder: Path, feed: str, *, site: str = "london", sl_counts: str = "offered_minus_short") -> Path:
    (folder / "boards").mkdir(parents=True)
    (folder / "feeds").mkdir()
    (folder / "feeds" / "feed.toml").write_text(feed)
    (folder / "boards" / "floor.toml").write_text(BOARD.format(site=site, sl_counts=sl_counts))
    return folder


def test_check_warns_about_tiles_and_rules_the_sites_feed_cannot_supply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An Asterisk site: occupancy (needs wrap), chats and a staffing-gap rule are warned about; exit stays 0."""
    assert main(["check", str(_tree(tmp_path, ASTERISK_FEED))]) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if ": warning: " in line]
    assert len(warnings) == 3, out
    occupancy, chats, gap = warnings
    assert "floor.toml: display.page[1].widget[1]: warning: sales.occupancy_pct (it needs agents_wrap)" in occupancy
    assert "the site's feed asterisk (" in occupancy and 'the tile will say "not supplied"' in occupancy
    assert "display.page[1].widget[5]: warning: sales.chats_waiting cannot be supplied" in chats
    assert "rule[1]: warning: sales.staffing_gap (it needs interval_offered, interval_s)" in gap
    assert "the rule can never trip" in gap
    # Mapped from a topic of the board's own, the SL (worked out from AMI counts) and the agents widget: no warning.
    assert "floor.toml: ok" in out


def test_check_says_nothing_about_supply_for_a_board_of_another_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The feed's declaration applies only to boards with the same site id."""
    assert main(["check", str(_tree(tmp_path, ASTERISK_FEED, site="leeds"))]) == 0
    assert ": warning: " not in capsys.readouterr().out


def test_check_judges_service_level_by_the_queues_convention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Genesys has no abandons within target: SL counted "abandoned_as_met" cannot be worked out there."""
    genesys = ASTERISK_FEED.replace("[asterisk]", '[genesys]\nclient_id = "c"\nqueues = {}\n').replace(
        'username = "wallboard"\nsecret_file = "ami.secret"', 'client_secret_file = "genesys.secret"'
    )
    assert main(["check", str(_tree(tmp_path, genesys, sl_counts="abandoned_as_met"))]) == 0
    out = capsys.readouterr().out
    assert "rule[2]: warning: sales.service_level_pct (it needs abandoned_within_target)" in out
    assert "display.page[1].widget[3]: warning: sales.service_level_pct" in out


def test_check_lists_every_credential_a_feed_config_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each secret the feed will read is listed: the MQTT password (a systemd credential) and the AMI secret file."""
    assert main(["check", str(_tree(tmp_path, ASTERISK_FEED))]) == 0
    out = capsys.readouterr().out
    feed = tmp_path / "feeds" / "feed.toml"
    assert f"{feed}: ok (feed): asterisk for site london" in out
    assert (
        f"{feed}: reads mqtt.password_file = $CREDENTIALS_DIRECTORY/mqtt-password (systemd credential mqtt-password: "
        "LoadCredential=mqtt-password:/etc/wallboard/secrets/mqtt-password)"
    ) in out
    assert (
        f"{feed}: reads asterisk.secret_file = ami.secret (file {tmp_path / 'feeds' / 'ami.secret'}, chmod 600)" in out
    )


def test_check_reads_a_connect_feeds_channels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Connect feed reading voice only cannot supply chats waiting; with CHAT among its channels it can."""
    connect = ASTERISK_FEED.split("[asterisk]")[0] + (
        '[connect]\ninstance_arn = "arn:aws:connect:eu-west-2:1:instance/i"\nregion = "eu-west-2"\n'
        'channels = ["VOICE"]\n[connect.queues]\nsales = "q"\n'
    )
    assert main(["check", str(_tree(tmp_path / "voice", connect))]) == 0
    assert "sales.chats_waiting cannot be supplied by the site's feed connect" in capsys.readouterr().out
    assert main(["check", str(_tree(tmp_path / "chat", connect.replace('["VOICE"]', '["VOICE", "CHAT"]')))]) == 0
    out = capsys.readouterr().out
    assert "chats_waiting" not in out and "occupancy_pct" not in out  # Connect has agents in after-contact work

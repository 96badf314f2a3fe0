"""Feed configs: the shipped examples load, and a bad file gets one clear line naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard.feeds.adapter import ADAPTERS, load_adapter
from wallboard.feeds.asterisk import AsteriskSection
from wallboard.feeds.connect import ConnectSection
from wallboard.feeds.errors import FeedConfigError
from wallboard.feeds.feed_config import decode_section, load_feed_config
from wallboard.feeds.genesys import GenesysSection

EXAMPLES = Path(__file__).resolve().parent.parent / "config" / "feeds"


def test_shipped_examples_load_and_their_adapter_sections_decode() -> None:
    """config/feeds/asterisk.toml and connect.toml are valid, down to their adapter's own section."""
    asterisk = load_feed_config(EXAMPLES / "asterisk.toml")
    assert decode_section(asterisk, "asterisk", AsteriskSection).queues == ["sales", "support"]
    assert asterisk.zone.key == "Europe/London"
    connect = load_feed_config(EXAMPLES / "connect.toml")
    section = decode_section(connect, "connect", ConnectSection)
    assert section.instance_id == "11111111-2222-3333-4444-555555555555"
    genesys = load_feed_config(EXAMPLES / "genesys.toml")
    assert decode_section(genesys, "genesys", GenesysSection).region == "mypurecloud.ie"
    assert set(ADAPTERS) == {"asterisk", "connect", "genesys"}
    for name in ADAPTERS:
        assert callable(load_adapter(name))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[feed]\nsite = "x"\n', "[feed] Object missing required field `time_zone`"),
        ('[feed]\nsite = "x"\ntime_zone = "Mars/Olympus"\n', 'feed.time_zone: "Mars/Olympus" is not an IANA'),
        ('[feed]\nsite = "x"\ntime_zone = "UTC"\npoll = 3\n', "[feed] Object contains unknown field `poll`"),
        ('[feed]\nsite = "x"\ntime_zone = "UTC"\n[mqtt]\nport = "a"\n', "Expected `int`, got `str` - at `mqtt.port`"),
        ("[feed\n", "not valid TOML"),
    ],
)
def test_a_bad_feed_config_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    """Each mistake names the file and the key, and says what was expected."""
    path = tmp_path / "feed.toml"
    path.write_text(text)
    with pytest.raises(FeedConfigError) as caught:
        load_feed_config(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_an_adapter_section_with_a_wrong_key_names_it(tmp_path: Path) -> None:
    """A typo in [asterisk] is refused naming the section and key; a missing section is named too."""
    path = tmp_path / "feed.toml"
    path.write_text('[feed]\nsite = "x"\ntime_zone = "UTC"\n[asterisk]\nusername = "u"\nsecret = "inline!"\n')
    config = load_feed_config(path)
    with pytest.raises(FeedConfigError, match=r"\[asterisk\] Object contains unknown field `secret`"):
        decode_section(config, "asterisk", AsteriskSection)
    with pytest.raises(FeedConfigError, match=r"no \[connect\] section"):
        decode_section(config, "connect", ConnectSection)
    with pytest.raises(FeedConfigError, match="unknown adapter 'five9'; choose one of: asterisk, connect, genesys"):
        load_adapter("five9")


def test_wallboard_check_validates_feed_configs_apart_from_boards(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`wallboard check` checks a folder's feed configs as feeds (not as boards) and fails on a bad one."""
    from wallboard.app.cli import main

    (tmp_path / "good.toml").write_text('[feed]\nsite = "x"\ntime_zone = "Europe/Paris"\n[asterisk]\nusername = "u"\n')
    assert main(["check", str(tmp_path)]) == 0
    assert "good.toml: ok (feed)" in capsys.readouterr().out
    (tmp_path / "bad.toml").write_text('[feed]\nsite = "x"\ntime_zone = "Paris"\n')
    assert main(["check", str(tmp_path)]) == 1
    assert 'feed.time_zone: "Paris" is not an IANA time zone' in capsys.readouterr().out

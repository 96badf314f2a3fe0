"""A feed's TOML config: the site, the broker, and one section per adapter (decoded by that adapter).

Must not read secrets (``secrets.py`` does, when the adapter asks) nor open connections.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from wallboard.device.config.hosts import mqtt_host_problem
from wallboard.device.config.reading import read_toml
from wallboard.device.errors import ConfigError
from wallboard.feeds.errors import FeedConfigError


class SiteSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[feed]``: where the numbers go and how the day is counted."""

    site: str
    time_zone: str
    prefix: str = "cc"
    state_dir: str = "/var/lib/wallboard-feed"
    poll_interval_s: float = 5.0
    heartbeat_s: float = 60.0
    # The service-level threshold: a call answered (or abandoned) within this many seconds is "within target".
    service_level_s: float = 20.0
    # An abandon within this many seconds is a "short abandon" (a misdial, not a lost customer).
    short_abandon_s: float = 5.0
    requests_per_second: float = 1.0
    burst: int = 5
    backoff_cap_s: float = 300.0


class MqttSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[mqtt]``: the site's broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    client_id: str | None = None


class FeedConfig(msgspec.Struct, kw_only=True):
    """A whole feed config; ``adapters`` holds each adapter's raw section until that adapter decodes it."""

    path: Path
    feed: SiteSection
    mqtt: MqttSection
    adapters: dict[str, dict[str, Any]]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.feed.time_zone)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def section(self, adapter: str) -> dict[str, Any]:
        """The adapter's own ``[<adapter>]`` section; FeedConfigError if the file has none."""
        if adapter not in self.adapters:
            raise FeedConfigError(f"{self.path}: no [{adapter}] section for the {adapter} adapter")
        return self.adapters[adapter]


# Per adapter, the keys of its section that name a secret file (Connect takes AWS's credential chain instead).
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "asterisk": ("secret_file",),
    "connect": (),
    "genesys": ("client_secret_file",),
}


def credential_files(config: FeedConfig) -> list[tuple[str, str]]:
    """Every secret file the feed will read, as (key path, value as written): the broker's, then each adapter's."""
    found = [("mqtt.password_file", config.mqtt.password_file)] if config.mqtt.password_file else []
    for adapter, keys in SECRET_KEYS.items():
        section = config.adapters.get(adapter, {})
        found += [(f"{adapter}.{key}", section[key]) for key in keys if isinstance(section.get(key), str)]
    return found


def decode_section(config: FeedConfig, adapter: str, kind: type[Any]) -> Any:
    """Decode ``[<adapter>]`` into ``kind``; a bad key raises FeedConfigError naming file and key."""
    try:
        return msgspec.convert(config.section(adapter), kind)
    except msgspec.ValidationError as exc:
        raise FeedConfigError(f"{config.path}: [{adapter}] {_where(exc, adapter)}") from None


def _where(exc: msgspec.ValidationError, section: str) -> str:
    return str(exc).replace("`$.", f"`{section}.").replace("`$`", f"`{section}`")


def load_feed_config(path: str | Path) -> FeedConfig:
    """Read and check a feed config; FeedConfigError with the file and key path on any problem."""
    path = Path(path)
    try:
        raw = read_toml(path)  # bounded in size and depth before parsing, like a board's config
    except ConfigError as exc:
        raise FeedConfigError("; ".join(exc.problems)) from None
    try:
        feed = msgspec.convert(raw.pop("feed", None), SiteSection)
    except msgspec.ValidationError as exc:
        raise FeedConfigError(f"{path}: [feed] {_where(exc, 'feed')}") from None
    try:
        mqtt = msgspec.convert(raw.pop("mqtt", {}), MqttSection)
    except msgspec.ValidationError as exc:
        raise FeedConfigError(f"{path}: [mqtt] {_where(exc, 'mqtt')}") from None
    host_problem = mqtt_host_problem(mqtt.host, mqtt.port)
    if host_problem is not None:
        raise FeedConfigError(f"{path}: mqtt.host: {host_problem}")
    try:
        ZoneInfo(feed.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FeedConfigError(
            f'{path}: feed.time_zone: "{feed.time_zone}" is not an IANA time zone (e.g. "Europe/London")'
        ) from None
    adapters = {name: value for name, value in raw.items() if isinstance(value, dict)}
    return FeedConfig(path=path, feed=feed, mqtt=mqtt, adapters=adapters)

"""The feed docs' unit step loads every credential the shipped example feed configs read."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard.feeds.feed_config import credential_files, load_feed_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "config" / "feeds").glob("*.toml"))
PREFIX = "$CREDENTIALS_DIRECTORY/"


def _credentials(example: Path) -> list[str]:
    names = [
        value[len(PREFIX) :] for _, value in credential_files(load_feed_config(example)) if value.startswith(PREFIX)
    ]
    return names


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_docs_load_every_credential_the_example_config_reads(example: Path) -> None:
    """Each $CREDENTIALS_DIRECTORY/<name> of an example feed config has its LoadCredential= line in docs/feeds.md."""
    docs = (ROOT / "docs" / "feeds.md").read_text()
    for name in _credentials(example):
        assert f"LoadCredential={name}:/etc/wallboard/secrets/{name}" in docs, (example.name, name)


def test_the_readme_unit_step_loads_both_of_the_asterisk_examples_credentials() -> None:
    """The README's Asterisk walk-through hands the unit the AMI secret and the broker's password."""
    readme = (ROOT / "README.md").read_text()
    names = _credentials(ROOT / "config" / "feeds" / "asterisk.toml")
    assert sorted(names) == ["ami-secret", "mqtt-password"]
    for name in names:
        assert f"LoadCredential={name}:/etc/wallboard/secrets/{name}" in readme

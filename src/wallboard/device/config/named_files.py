"""Files a config names (secrets, certificates, a cache folder): where they are, and reading a secret.

A relative name is relative to the config file's folder, so a board's files travel with it.
"""

from __future__ import annotations

from pathlib import Path


def resolve_path(name: str, base_dir: Path) -> Path:
    """A file named in config: absolute, or relative to the config file's folder."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else base_dir / path


def read_secret(name: str, base_dir: Path) -> str:
    """Read a secret file (first line, whitespace stripped)."""
    with resolve_path(name, base_dir).open(encoding="utf-8") as handle:
        return handle.readline().strip()

"""Read a feed's secrets from files, refusing files that other users can read.

Secrets never live in the config itself. A path may start with
``$CREDENTIALS_DIRECTORY/`` (systemd's ``LoadCredential=``). Must not log a
secret's value.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wallboard.feeds.errors import FeedConfigError

CREDENTIALS_VARIABLE = "CREDENTIALS_DIRECTORY"


def resolve_secret_path(name: str, base_dir: Path) -> Path:
    """The file ``name`` names: systemd's credentials folder expanded, relative paths from ``base_dir``."""
    prefix = f"${CREDENTIALS_VARIABLE}/"
    if name.startswith(prefix):
        folder = os.environ.get(CREDENTIALS_VARIABLE)
        if not folder:
            raise FeedConfigError(f"{name}: ${CREDENTIALS_VARIABLE} is not set (run under systemd LoadCredential=)")
        return Path(folder) / name[len(prefix) :]
    path = Path(name)
    return path if path.is_absolute() else base_dir / path


def read_secret_file(name: str, base_dir: Path) -> str:
    """The first line of the secret file ``name``; FeedConfigError if missing, empty or readable by others."""
    path = resolve_secret_path(name, base_dir)
    try:
        info = path.stat()
    except OSError as exc:
        raise FeedConfigError(f"secret file {path}: {exc.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise FeedConfigError(
            f"secret file {path} is readable by group or others (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run: chmod 600 {path}"
        )
    value = path.read_text(encoding="utf-8").splitlines()[0].strip() if info.st_size else ""
    if not value:
        raise FeedConfigError(f"secret file {path} is empty")
    return value

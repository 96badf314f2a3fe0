"""ALSA's own error lines, caught while SDL opens the audio device, to be said in one log line.

With no sound card, libasound writes its configuration errors straight to file descriptor 2
(``ALSA lib confmisc.c:855:(parse_card) cannot find card '0'`` and seven more), under Python's
logging and into the journal, each time SDL opens or probes audio. They cannot be turned off from
Python: the wheel's SDL loads its own copy of libasound, so setting the system library's error
handler does not reach it. So, for the few milliseconds of an open, fd 2 goes to a temporary file;
ALSA's lines are kept for the caller's one line (the first says why: "cannot find card '0'"),
and anything else written meanwhile is put back on stderr as it was.
Must not be used around anything long-running: it holds the process's stderr while it runs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field

_ALSA_PREFIX = "ALSA lib "
_MAX_CAPTURE = 64 * 1024  # far more than ALSA says; a runaway writer cannot fill memory


@dataclass
class AlsaNoise:
    """ALSA's lines caught during one device open."""

    lines: list[str] = field(default_factory=list)

    @property
    def first_reason(self) -> str | None:
        """The first line's message without its source location, e.g. "cannot find card '0'"."""
        if not self.lines:
            return None
        _, _, message = self.lines[0].partition(") ")
        return message.strip() or self.lines[0]

    def summary(self) -> str:
        """E.g. "ALSA said: cannot find card '0' (8 lines)"; empty when ALSA said nothing."""
        if not self.lines:
            return ""
        count = len(self.lines)
        return f"ALSA said: {self.first_reason}" + (f" ({count} lines)" if count > 1 else "")


@contextmanager
def alsa_noise_caught() -> Iterator[AlsaNoise]:
    """Run the block with fd 2 sent to a temporary file; ALSA's lines are kept, the rest goes back to stderr."""
    noise = AlsaNoise()
    with ExitStack() as held:
        try:
            sys.stderr.flush()
            # A file, not a pipe: a writer can never block on a full pipe while fd 2 points here.
            sink = held.enter_context(tempfile.TemporaryFile())
            saved = os.dup(2)
        except (OSError, ValueError):  # no stderr, or no writable temporary folder: let ALSA write where it can
            yield noise
            return
        held.callback(os.close, saved)
        os.dup2(sink.fileno(), 2)
        try:
            yield noise
        finally:
            with suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            sink.seek(0)
            text = sink.read(_MAX_CAPTURE).decode(errors="replace")
            _sort(text, noise, saved)


def _sort(text: str, noise: AlsaNoise, stderr_fd: int) -> None:
    """ALSA's lines into ``noise``; every other line back to the real stderr, unchanged."""
    others = []
    for line in text.splitlines(keepends=True):
        if line.startswith(_ALSA_PREFIX):
            noise.lines.append(line.rstrip("\n"))
        else:
            others.append(line)
    if others:
        with suppress(OSError):
            os.write(stderr_fd, "".join(others).encode(errors="replace"))

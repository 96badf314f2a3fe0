"""No sound card: the board logs one line about it, not libasound's eight raw `ALSA lib` lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wallboard.firmware_bridge.sound.alsa_noise import alsa_noise_caught

_OPEN_SOUND = """
import logging
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
from wallboard.device.config.signals_schema import SoundSettings
from wallboard.firmware_bridge.sound.mixer import open_sound
sink = open_sound(SoundSettings(enabled=True, output={output!r}))
print(type(sink).__name__)
"""


def _has_sound_card() -> bool:
    cards = Path("/proc/asound/cards")
    return cards.exists() and "no soundcards" not in cards.read_text()


@pytest.mark.parametrize("output", ["auto", "hdmi"])
def test_no_sound_card_is_one_log_line_without_alsa_lib_noise(output: str) -> None:
    """SDL's ALSA driver with no card: one "no audio (...; ALSA said: cannot find card '0' (N lines))" line."""
    if _has_sound_card():
        pytest.skip("this machine has a sound card: ALSA has nothing to complain about")
    env = {**os.environ, "SDL_AUDIODRIVER": "alsa", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _OPEN_SOUND.format(output=output)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "NullSound"
    lines = result.stderr.splitlines()
    assert [line for line in lines if "ALSA lib" in line] == [], "libasound's raw lines are caught"
    no_audio = [line for line in lines if line.startswith("WARNING") and "no audio" in line]
    assert len(no_audio) == 1, lines
    assert "ALSA said: cannot find card '0' (" in no_audio[0]


def test_other_writes_to_stderr_meanwhile_are_kept() -> None:
    """A line that is not ALSA's, written to fd 2 while caught, reaches stderr unchanged; ALSA's is kept aside."""
    script = (
        "import os\n"
        "from wallboard.firmware_bridge.sound.alsa_noise import alsa_noise_caught\n"
        "with alsa_noise_caught() as noise:\n"
        '    os.write(2, b"ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default\\n")\n'
        "    os.write(2, b'something else\\n')\n"
        "print(noise.summary())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ALSA said: Unknown PCM default"
    assert result.stderr == "something else\n"


def test_nothing_said_is_an_empty_summary() -> None:
    """A quiet open catches nothing: no lines, an empty summary, fd 2 restored."""
    before = os.fstat(2)
    with alsa_noise_caught() as noise:
        pass
    assert noise.lines == [] and noise.summary() == ""
    assert os.fstat(2).st_ino == before.st_ino


def test_without_a_writable_temporary_folder_the_open_runs_uncaught(monkeypatch: pytest.MonkeyPatch) -> None:
    """No temporary file can be made (a read-only sandbox): the block still runs, stderr untouched, nothing caught."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("wallboard.firmware_bridge.sound.alsa_noise.tempfile.TemporaryFile", refuse)
    before = os.fstat(2)
    ran = []
    with alsa_noise_caught() as noise:
        ran.append(os.fstat(2).st_ino == before.st_ino)
    assert ran == [True] and noise.lines == []

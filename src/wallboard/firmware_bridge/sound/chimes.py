"""The board's sound cues, synthesised with the standard library: no third-party audio files.

Each chime is a few decaying sine tones (with a soft second harmonic) written
as 16-bit mono WAV by the ``wave`` module: a soft falling two-tone for warn,
an urgent triple for critical, a low two-tone for blind, a rising two-tone for
clear, and a plain two-note tone for ``wallboard sound --test``.
``python -m firmware_bridge.chimes DIR`` writes them as files to listen to; the board builds them
in memory. Pure: no playback, no pygame.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
from pathlib import Path

RATE = 22050

# (frequency Hz, start s, length s) per note.
_NOTES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "warn": ((659.25, 0.0, 0.45), (523.25, 0.32, 0.6)),
    "critical": ((987.77, 0.0, 0.16), (987.77, 0.2, 0.16), (987.77, 0.4, 0.16), (1318.5, 0.6, 0.35)),
    "blind": ((392.0, 0.0, 0.4), (293.66, 0.35, 0.6)),
    "clear": ((523.25, 0.0, 0.35), (783.99, 0.25, 0.55)),
    # `wallboard sound --test`: an A4 then an A5, for the installer to hear which speaker plays.
    "test": ((440.0, 0.0, 0.6), (880.0, 0.6, 0.8)),
}
CHIMES = tuple(_NOTES)


def chime_samples(name: str) -> list[int]:
    """The 16-bit samples of chime ``name``."""
    notes = _NOTES[name]
    total = max(start + length for _, start, length in notes) + 0.05
    buffer = [0.0] * int(total * RATE)
    for freq, start, length in notes:
        first = int(start * RATE)
        count = int(length * RATE)
        for i in range(count):
            t = i / RATE
            attack = min(1.0, t / 0.006)  # no click at the start
            decay = math.exp(-4.0 * t / length)
            tail = min(1.0, (count - i) / (0.01 * RATE))  # nor at the end
            wave_value = math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t)
            buffer[first + i] += 0.35 * attack * decay * tail * wave_value
    peak = max(1.0, max(abs(v) for v in buffer))
    return [int(32767 * 0.9 * v / peak) if peak > 1.0 else int(32767 * 0.9 * v) for v in buffer]


def chime_wav(name: str) -> bytes:
    """Chime ``name`` as a complete WAV file (mono, 16-bit, 22.05 kHz)."""
    samples = chime_samples(name)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


def write_chimes(folder: Path) -> list[Path]:
    """Write every chime as ``<name>.wav`` into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in CHIMES:
        path = folder / f"{name}.wav"
        path.write_bytes(chime_wav(name))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_chimes(Path(sys.argv[1] if len(sys.argv) > 1 else "chimes")):
        print(written)

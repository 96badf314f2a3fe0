"""``wallboard sound``: the installer's check of the chimes' speaker, with no board running.

``--list`` prints SDL's audio driver and every output device name it sees (what ``[signals.sound]
device`` may name), marking the ones ``output = "hdmi"`` and ``"headphones"`` would pick. ``--test``
opens the sound exactly as the board would (the config's ``[signals.sound]``, or the options) and
plays a short test tone. Both say clearly, with a non-zero exit, when no device opens. Nothing
here draws or runs a board.
"""

from __future__ import annotations

import time
from typing import TextIO

import msgspec

from wallboard.device.config.signals_schema import SoundSettings
from wallboard.firmware_bridge.sound.chimes import chime_wav
from wallboard.firmware_bridge.sound.devices import OUTPUT_WORDS, list_outputs, pick_output
from wallboard.firmware_bridge.sound.mixer import MixerSound, open_sound

TEST_CHIME = "test"


def list_devices(out: TextIO) -> int:
    """Print the audio driver and the output device names; 1 if SDL's audio does not start."""
    try:
        outputs = list_outputs()
    except RuntimeError as exc:
        out.write(f"no audio: {exc}\n")
        return 1
    out.write(f"SDL audio driver: {outputs.driver}\n")
    if not outputs.names:
        out.write("no output devices (is the sound card enabled? on a Pi: dtparam=audio=on, and the TV connected)\n")
        return 1
    picks = {output: pick_output(output, outputs.names) for output in OUTPUT_WORDS}
    for name in outputs.names:
        chosen_by = [f'output = "{output}"' for output, pick in picks.items() if pick == name]
        out.write(f"  {name}" + (f"    <- {', '.join(chosen_by)}" if chosen_by else "") + "\n")
    return 0


def play_test_tone(settings: SoundSettings, out: TextIO) -> int:
    """Open the sound as the board would and play the test tone to the end; 1 if no device opened.

    Stricter than the board: an ``output`` that no device matches is an error here (the board would
    fall back to the default device), so the installer learns it now rather than at the first alarm.
    """
    settings = msgspec.structs.replace(settings, enabled=True)
    if settings.output != "auto" and not settings.device:
        try:
            names = list_outputs().names
        except RuntimeError as exc:
            out.write(f"no audio: {exc}\n")
            return 1
        device = pick_output(settings.output, names)
        if device is None:
            out.write(f'no output device is "{settings.output}" among {list(names)}; name one with --device\n')
            return 1
        settings = msgspec.structs.replace(settings, device=device)
    sink = open_sound(settings)
    where = f'"{settings.device}"' if settings.device else "the default device"
    if not isinstance(sink, MixerSound):
        out.write(
            f"no audio: {where} did not open (the log above says why); `wallboard sound --list` shows the devices\n"
        )
        return 1
    try:
        sink.play(TEST_CHIME)
        time.sleep(len(chime_wav(TEST_CHIME)) / (2 * 22050) + 0.2)  # 16-bit mono at 22.05 kHz: play it to the end
    finally:
        sink.close()
    out.write(f"played the test tone on {where} at volume {settings.volume:g}\n")
    return 0

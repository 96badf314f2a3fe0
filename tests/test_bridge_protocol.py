"""The bridge protocol's two implementations, host codec and firmware parser, against the same test vectors.

These run the firmware's module on CPython; tests/test_bridge_micropython.py runs the same vectors (and
more) on a real MicroPython. The error check's strength is shown here, exhaustively, over the longest frame.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.bridge_model import expected_answer
from wallboard import firmware_bridge as firmware_bridge_package
from wallboard.firmware_bridge.drivers import bridge_codec
from wallboard.firmware_bridge.lights import LampMode, LightState

FIRMWARE = Path(firmware_bridge_package.__file__).parent / "firmware"
VECTORS: dict[str, Any] = json.loads((FIRMWARE / "vectors.json").read_text())


@pytest.fixture(scope="module")
def firmware() -> ModuleType:
    """The firmware's protocol module, imported on the host as the Pico imports it (from its own folder)."""
    sys.path.insert(0, str(FIRMWARE))
    try:
        import bridge_protocol  # type: ignore[import-not-found]

        return bridge_protocol  # type: ignore[no-any-return]
    finally:
        sys.path.remove(str(FIRMWARE))


def test_both_crc16s_match_the_catalogue_check_value(firmware: ModuleType) -> None:
    """CRC-16/CCITT-FALSE of "123456789" is 0x29B1 (the catalogue's check value) in both implementations."""
    check = VECTORS["crc16_check"]
    assert check["crc"] == 0x29B1
    assert bridge_codec.crc16(check["input"].encode()) == 0x29B1
    assert firmware.crc16(check["input"].encode()) == 0x29B1


def test_both_crc16s_agree_on_random_bodies(firmware: ModuleType) -> None:
    """The firmware's table-free CRC and binascii's agree on 2,000 random bodies of 0-60 bytes."""
    rng = random.Random(16)
    for _ in range(2000):
        body = rng.randbytes(rng.randrange(61))
        assert firmware.crc16(body) == bridge_codec.crc16(body)


@pytest.mark.parametrize("vector", VECTORS["host_frames"], ids=lambda v: v["line"].strip())
def test_host_encoder_produces_the_vector(vector: dict[str, Any]) -> None:
    """The host codec encodes each host frame byte for byte as the vector says."""
    assert bridge_codec.encode(vector["seq"], vector["verb"], *vector["args"]) == vector["line"].encode()


@pytest.mark.parametrize("vector", VECTORS["host_frames"], ids=lambda v: v["line"].strip())
def test_firmware_parser_reads_the_vector(firmware: ModuleType, vector: dict[str, Any]) -> None:
    """The firmware parses each host frame into the vector's sequence number, verb and arguments."""
    assert firmware.parse(vector["line"].encode()) == (vector["seq"], vector["verb"], vector["args"])


@pytest.mark.parametrize("vector", VECTORS["bridge_frames"], ids=lambda v: v["line"].strip())
def test_firmware_encoder_and_host_decoder_agree_on_replies(firmware: ModuleType, vector: dict[str, Any]) -> None:
    """Frames from the bridge: the firmware writes the vector, the host reads it back."""
    assert firmware.frame(vector["seq"], vector["verb"], vector["args"]) == vector["line"].encode()
    reply = bridge_codec.decode(vector["line"].encode())
    assert (reply.seq, reply.verb, list(reply.args)) == (vector["seq"], vector["verb"], vector["args"])


@pytest.mark.parametrize("vector", VECTORS["bad_host_lines"], ids=lambda v: v["why"])
def test_firmware_naks_bad_lines_with_the_vectors_reason(firmware: ModuleType, vector: dict[str, Any]) -> None:
    """Each malformed line gets NAK with the expected reason (and the sequence number when it could be read)."""
    bridge = firmware.Bridge(0)
    reply = bridge_codec.decode(bridge.receive(vector["line"].encode(), 0))
    assert (reply.verb, reply.args) == ("NAK", (vector["nak"],))
    assert reply.seq == vector.get("seq")
    assert bridge.faults == 0


@pytest.mark.parametrize("vector", VECTORS["protocol1_host_lines"], ids=lambda v: v["why"])
def test_firmware_answers_a_protocol_1_host_in_its_own_framing(firmware: ModuleType, vector: dict[str, Any]) -> None:
    """An old host's VER? is answered with this firmware's versions in CRC-8 framing; anything else NAK PROTO."""
    assert firmware.Bridge(0).receive(vector["line"].encode(), 0) == vector["answer"].encode()
    old_reply = bridge_codec.decode_legacy(vector["answer"].encode())
    assert old_reply is not None and old_reply.verb in ("VER", "NAK")


@pytest.mark.parametrize(
    "line", [v["line"] for v in VECTORS["bad_host_lines"] + VECTORS["protocol1_host_lines"]], ids=repr
)
def test_host_model_predicts_the_firmwares_answer_to_each_bad_line(firmware: ModuleType, line: str) -> None:
    """The host-side model (codec only) expects exactly the bytes the firmware answers each vector with."""
    bridge = firmware.Bridge(0)
    assert bridge.receive(line.encode(), 0) == expected_answer(line.encode(), tuple(bridge.version_args()))


def test_firmware_answers_set_hb_ver_and_safe(firmware: ModuleType) -> None:
    """SET changes the lamps, HB and SAFE are acknowledged, VER? names versions, boot cause and faults."""
    bridge = firmware.Bridge(0, boot="WDT")
    state = LightState(red=LampMode.BLINK, buzzer=LampMode.ON)
    ack = bridge_codec.decode(bridge.receive(bridge_codec.encode(9, "SET", *bridge_codec.set_args(state, 0.5)), 0))
    assert (ack.seq, ack.verb) == (9, "ACK")
    assert bridge.levels(0) == [True, False, False, True] and bridge.levels(300) == [False, False, False, True]
    version = bridge_codec.decode(bridge.receive(bridge_codec.encode(10, "VER?"), 0))
    assert version.args == (firmware.FIRMWARE_VERSION, str(bridge_codec.PROTOCOL_VERSION), "WDT", "0000", "0")
    assert bridge_codec.decode(bridge.receive(bridge_codec.encode(11, "SAFE"), 0)).verb == "ACK"
    assert bridge.levels(0) == [False, False, False, False]


def test_host_decoder_rejects_corrupt_replies() -> None:
    """A reply with a wrong checksum, none, one in hex letters or a bad sequence number is a BridgeFrameError."""
    good = bridge_codec.encode(1, "ACK")
    hex_check = good[:-5] + f"{bridge_codec.crc16(good[:-6]):04X}".encode() + b"\n"
    assert hex_check != good
    for bad in (good.replace(b"ACK", b"ACX"), b"01 ACK\n", b"1 ACK*" + good[-5:], hex_check):
        with pytest.raises(bridge_codec.BridgeFrameError):
            bridge_codec.decode(bad)


def test_failsafe_after_three_seconds_of_silence_and_not_after_safe(firmware: ModuleType) -> None:
    """Without a frame for 3 s the firmware alternates red and amber by itself; after SAFE it stays dark."""
    bridge = firmware.Bridge(0)
    bridge.receive(bridge_codec.encode(1, "SET", "0", "0", "1", "0", "1000"), 0)
    assert not bridge.check_failsafe(2999)
    assert bridge.check_failsafe(3001)
    assert bridge.levels(3100)[:3] == [True, False, False] and bridge.levels(3600)[:3] == [False, True, False]
    bridge.receive(bridge_codec.encode(2, "SAFE"), 4000)
    assert not bridge.check_failsafe(60_000)
    assert bridge.levels(60_000) == [False, False, False, False]


def test_tick_shims_wrap_like_micropython(firmware: ModuleType) -> None:
    """ticks_add wraps at 2**30 and ticks_diff gives the signed distance across the wrap, as rp2's do."""
    top = firmware.TICKS_PERIOD - 1
    assert firmware.ticks_add(top, 1) == 0 and firmware.ticks_add(0, -1) == top
    assert firmware.ticks_diff(firmware.ticks_add(top, 5), top) == 5
    assert firmware.ticks_diff(top, firmware.ticks_add(top, 5)) == -5
    half = firmware.TICKS_PERIOD // 2
    assert firmware.ticks_diff(firmware.ticks_add(7, half - 1), 7) == half - 1
    assert firmware.ticks_diff(firmware.ticks_add(7, half), 7) == -half  # past half a period it reads as "before"


def test_blink_and_failsafe_phases_run_smoothly_across_a_tick_wrap(firmware: ModuleType) -> None:
    """Across the counter's wrap a 300 ms blink keeps its rhythm and the failsafe starts exactly 3 s on."""
    start = firmware.TICKS_PERIOD - 1000  # one second before the wrap
    bridge = firmware.Bridge(start)
    bridge.receive(bridge_codec.encode(1, "SET", "B", "0", "0", "0", "300"), start)
    lit = [bridge.levels(firmware.ticks_add(start, ms))[0] for ms in range(0, 2400, 50)]
    assert lit == [(ms % 300) < 150 for ms in range(0, 2400, 50)]  # no glitch where the counter wraps
    assert not bridge.check_failsafe(firmware.ticks_add(start, 3000))
    assert bridge.check_failsafe(firmware.ticks_add(start, 3001))
    phases = [bridge.levels(firmware.ticks_add(start, 3001 + ms))[:2] for ms in (0, 499, 500, 999, 1000)]
    assert phases == [[True, False], [True, False], [False, True], [False, True], [True, False]]


def test_a_long_run_of_blinking_keeps_its_phase_over_many_wraps(firmware: ModuleType) -> None:
    """Ten counter periods (about 124 days) of 1 s steps: a 1 s blink is lit in exactly the first half."""
    bridge = firmware.Bridge(0, failsafe_ms=10**12)
    bridge.receive(bridge_codec.encode(1, "SET", "B", "0", "0", "0", "1000"), 0)
    now, elapsed = 0, 0
    for _ in range(10):
        for step in (firmware.TICKS_PERIOD // 4 + 250,) * 4:  # big steps, always under half a period
            now, elapsed = firmware.ticks_add(now, step), elapsed + step
            assert bridge.levels(now)[0] == ((elapsed % 1000) < 500)


def test_a_fault_while_handling_a_line_is_counted_and_shows_the_failsafe(
    firmware: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception inside receive() becomes NAK FAULT and the failsafe pattern, never a stopped firmware."""
    bridge = firmware.Bridge(0)
    bridge.receive(bridge_codec.encode(1, "SET", "0", "0", "1", "0", "1000"), 0)

    def broken(line: bytes) -> None:
        raise AttributeError("a bug")

    monkeypatch.setattr(firmware, "parse", broken)
    reply = bridge_codec.decode(bridge.receive(bridge_codec.encode(2, "HB"), 10))
    assert (reply.seq, reply.verb, reply.args) == (None, "NAK", ("FAULT",))
    assert (bridge.faults, bridge.last_fault, bridge.in_failsafe) == (1, "AttributeError", True)
    assert bridge.levels(20)[2] is False  # green is off: the failsafe shows, not the last state
    monkeypatch.undo()
    bridge.receive(bridge_codec.encode(3, "HB"), 30)
    assert bridge.levels(40) == [False, False, True, False]  # the next valid frame ends it


# ------------------------------------------------------------------- the error check's strength


def _syndromes(crc: Any, body: bytes) -> list[int]:
    """What flipping each body bit does to the CRC (CRCs are linear: a pattern's effect is the xor of its bits')."""
    base = crc(body)
    out = []
    for index in range(len(body)):
        for bit in range(8):
            flipped = bytearray(body)
            flipped[index] ^= 1 << bit
            out.append(crc(bytes(flipped)) ^ base)
    return out


def _check_text_changes(check: bytes, flips: int) -> set[int]:
    """Every change (old xor new value) that ``flips`` bit flips in the four check characters can make and
    still leave four upper-case hex digits; flips that leave anything else are caught as SYNTAX."""
    changes = set()
    value = bridge_codec.check_value(check)
    assert value is not None
    for bits in itertools.combinations(range(32), flips):
        text = bytearray(check)
        for bit in bits:
            text[bit // 8] ^= 1 << (bit % 8)
        new = bridge_codec.check_value(bytes(text))
        if new is not None:
            changes.add(new ^ value)
    return changes


def test_every_1_2_and_3_bit_error_in_the_longest_frame_is_caught(firmware: ModuleType) -> None:
    """Exhaustive over a 60-character body and its 4 check characters (520 bits, 23.3 M patterns of 1-3 flips).

    Flips in the body change the CRC by the xor of their syndromes; flips in the check text either leave a
    non-hex (SYNTAX) or change the value. An error passes only if the two changes are equal, so counting
    those equalities over every split of 1-3 flips covers every pattern without decoding 23 M lines.
    """
    started = time.perf_counter()
    body = bridge_codec.encode(0xA5, "SET", "B", "B", "B", "B", "10000")[:-6]
    body += b" " + b"Z" * (bridge_codec.MAX_BODY - len(body) - 1)
    assert len(body) == bridge_codec.MAX_BODY
    check = bridge_codec.check_text(bridge_codec.crc16(body))
    host = _syndromes(bridge_codec.crc16, body)
    assert _syndromes(firmware.crc16, body) == host  # both implementations have the same algebra
    syndromes = set(host)
    one, two, three = (_check_text_changes(check, n) for n in (1, 2, 3))
    undetected = 0
    # 1 flip: in the body (nonzero syndrome), or in the check text (a different value).
    undetected += host.count(0) + (0 in one)
    # 2 flips: body+body (equal syndromes), body+check, check+check.
    undetected += len(host) - len(syndromes) + len(syndromes & one) + (0 in two)
    # 3 flips: body x3 (s_i ^ s_j is another syndrome), body x2 + check, body + check x2, check x3.
    for i, j in itertools.combinations(range(len(host)), 2):
        pair = host[i] ^ host[j]
        undetected += (pair in syndromes) + (pair in one)
    undetected += len(syndromes & two) + (0 in three)
    elapsed = time.perf_counter() - started
    patterns = sum(math.comb(8 * (len(body) + 5), n) for n in (1, 2, 3))  # a flip of the "*" is always SYNTAX
    print(f"\nCRC-16 exhaustive: {patterns:,} patterns of 1-3 bit flips over a {len(body) + 5}-byte frame, "
          f"{undetected} undetected, {elapsed:.2f}s")  # fmt: skip
    assert undetected == 0
    # The algebra above, checked against the real decoders: every 1-bit error and 20,000 random 2- and 3-bit ones.
    line = bytearray(body + b"*" + check)
    rng = random.Random(3)
    patterns_to_try: list[tuple[int, ...]] = [(bit,) for bit in range(len(line) * 8)]
    patterns_to_try += [tuple(rng.sample(range(len(line) * 8), rng.choice((2, 3)))) for _ in range(20_000)]
    for bits in patterns_to_try:
        corrupted = bytearray(line)
        for bit in bits:
            corrupted[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(bridge_codec.BridgeFrameError):
            bridge_codec.decode(bytes(corrupted) + b"\n")
    for bit in range(len(line) * 8):
        corrupted = bytearray(line)
        corrupted[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(firmware.FrameError):
            firmware.parse(bytes(corrupted) + b"\n")


def test_the_old_crc8_missed_a_2_bit_error_the_crc16_catches(firmware: ModuleType) -> None:
    """The issue's example: CRC-8 passes "0D SET 0 0 1 1 104" for "0F SET 0 0 1 1 100"; CRC-16 does not."""
    good, bad = b"0F SET 0 0 1 1 100", b"0D SET 0 0 1 1 104"
    assert bridge_codec.crc8(good) == bridge_codec.crc8(bad)
    assert bridge_codec.crc16(good) != bridge_codec.crc16(bad)
    with pytest.raises(bridge_codec.BridgeFrameError):
        bridge_codec.decode(bad + b"*" + bridge_codec.check_text(bridge_codec.crc16(good)) + b"\n")

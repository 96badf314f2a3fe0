"""The bridge protocol's two implementations, host codec and firmware parser, against the same test vectors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

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


def test_both_crc8s_match_the_catalogue_check_value(firmware: ModuleType) -> None:
    """CRC-8/SMBus of "123456789" is 0xF4 in both implementations."""
    check = VECTORS["crc8_check"]
    assert bridge_codec.crc8(check["input"].encode()) == check["crc"]
    assert firmware.crc8(check["input"].encode()) == check["crc"]


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


def test_firmware_answers_set_hb_ver_and_safe(firmware: ModuleType) -> None:
    """SET changes the lamps, HB and SAFE are acknowledged, VER? names firmware and protocol versions."""
    bridge = firmware.Bridge(0)
    state = LightState(red=LampMode.BLINK, buzzer=LampMode.ON)
    ack = bridge_codec.decode(bridge.receive(bridge_codec.encode(9, "SET", *bridge_codec.set_args(state, 0.5)), 0))
    assert (ack.seq, ack.verb) == (9, "ACK")
    assert bridge.levels(0) == [True, False, False, True] and bridge.levels(300) == [False, False, False, True]
    version = bridge_codec.decode(bridge.receive(bridge_codec.encode(10, "VER?"), 0))
    assert version.args == (firmware.FIRMWARE_VERSION, str(bridge_codec.PROTOCOL_VERSION))
    assert bridge_codec.decode(bridge.receive(bridge_codec.encode(11, "SAFE"), 0)).verb == "ACK"
    assert bridge.levels(0) == [False, False, False, False]


def test_host_decoder_rejects_corrupt_replies() -> None:
    """A reply with a wrong checksum, no checksum or a bad sequence number is a BridgeFrameError."""
    good = bridge_codec.encode(1, "ACK")
    for bad in (good.replace(b"ACK", b"ACX"), b"01 ACK\n", b"1 ACK*" + good[-3:]):
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

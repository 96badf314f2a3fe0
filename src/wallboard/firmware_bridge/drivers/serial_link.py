"""A serial port by pyserial URL, reduced to what the lamp drivers need: write, read what is there, close.

Every transport is a URL (``/dev/ttyUSB0``, ``/dev/serial/by-id/...``,
``loop://``, ``spy:///dev/ttyACM0``), so tests use a pty or a loopback and a
technician can spy on a live port. Every failure surfaces as ``OSError``;
nothing from pyserial leaves this module.
"""

from __future__ import annotations

import contextlib
from typing import Any


class SerialLink:
    """An open serial port. Reads never wait; writes wait at most the port's write timeout."""

    def __init__(self, port: Any, url: str) -> None:
        self._port = port
        self.url = url

    def write(self, data: bytes) -> None:
        """Write all of ``data``; raise OSError if the port is gone or the write times out."""
        import serial

        try:
            self._port.write(data)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc

    def read_available(self) -> bytes:
        """Whatever bytes have arrived (possibly none); raise OSError if the device hung up."""
        import serial

        try:
            return bytes(self._port.read(4096))
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc

    def close(self) -> None:
        # The device may already be gone; the handle is released either way.
        with contextlib.suppress(Exception):
            self._port.close()


def open_link(url: str, *, baudrate: int, write_timeout: float) -> SerialLink:
    """Open ``url`` with non-blocking reads; raise OSError if it cannot be opened."""
    import serial

    try:
        port = serial.serial_for_url(url, baudrate=baudrate, timeout=0, write_timeout=write_timeout)
    except (serial.SerialException, ValueError) as exc:
        raise OSError(str(exc)) from exc
    return SerialLink(port, url)

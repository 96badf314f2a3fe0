"""Screenshots on request: a message on ``.../screenshot`` makes the board publish a PNG of its screen.

The request arrives through ingest as a ``ScreenshotRequest`` and waits in
the board's view; this output answers it on the main thread,
after the display drew the current frame (it comes after the display in the
output list), by publishing the display's ``snapshot_png`` on
``.../screenshot/png`` (not retained: a picture of the past is not a status),
followed by the screen's text twin (what each widget says, docs/screen-twin.md)
on ``.../screenshot/text``.
Without a display, or if the snapshot fails, a JSON error goes to
``.../screenshot/error`` instead, so a waiting client need not time out.

Requests are answered at most once per ``_MIN_INTERVAL``: encoding a PNG costs
a Pi Zero a visible hitch, and a careless script must not be able to stall
the board. This module must not draw or import pygame: the display does that.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence

from wallboard.device.core.updates import ScreenshotRequest
from wallboard.device.core.view import BoardView, DisplayProbe, ExplainsScreen, Publisher
from wallboard.device.wire.topics import BoardTopics

log = logging.getLogger(__name__)

MAX_PNG_BYTES = 256_000
_MIN_INTERVAL = 2.0


def find_display(outputs: Iterable[object]) -> DisplayProbe | None:
    """The first output that is a display, if the board has one."""
    for output in outputs:
        if isinstance(output, DisplayProbe):
            return output
    return None


class ScreenshotResponder:
    """An output that answers screenshot requests with the display's current frame."""

    def __init__(self, publisher: Publisher, topics: BoardTopics, outputs: Sequence[object]) -> None:
        """Answer on ``topics``' screenshot topics through ``publisher``, with the display among ``outputs``."""
        self._publisher = publisher
        self._outputs = outputs
        self.png_topic = topics.screenshot_png
        self.error_topic = topics.screenshot_error
        self.text_topic = topics.screenshot_text
        self._pending: ScreenshotRequest | None = None
        self._last_answer = float("-inf")
        self.answered = 0
        self.last_error: str | None = None

    def render(self, view: BoardView) -> float:
        if view.screenshot_requests:
            self._pending = view.screenshot_requests[-1]  # the newest; older ones are answered by the same picture
        if self._pending is None:
            return 60.0
        wait = self._last_answer + _MIN_INTERVAL - view.now
        if wait > 0:
            return wait
        request, self._pending = self._pending, None
        self._last_answer = view.now
        display = find_display(self._outputs)
        if display is None:
            self._fail("this board has no display")
            return 60.0
        try:
            png = display.snapshot_png(max_width=request.max_width, max_bytes=MAX_PNG_BYTES)
        except Exception as exc:  # a failed snapshot must cost one answer, not the frame loop
            log.exception("screenshot failed")
            self._fail(f"snapshot failed: {exc}")
            return 60.0
        self._publisher.publish(self.png_topic, png, retain=False, qos=1)
        self._publish_twin(display)
        self.answered += 1
        self.last_error = None
        log.info("published a screenshot (%d bytes, max width %d)", len(png), request.max_width)
        return 60.0

    def _publish_twin(self, display: object) -> None:
        """The screen's text twin beside the PNG, so IT can read the board as well as look at it."""
        if not isinstance(display, ExplainsScreen):
            return
        try:
            twin = display.explain()
        except Exception:  # the picture went out; a failed twin costs only itself
            log.exception("screen text twin failed")
            return
        if twin is not None:
            payload = json.dumps(twin, separators=(",", ":"), ensure_ascii=False).encode()
            self._publisher.publish(self.text_topic, payload, retain=False, qos=1)

    def _fail(self, reason: str) -> None:
        self.last_error = reason
        payload = json.dumps({"error": reason}).encode()
        self._publisher.publish(self.error_topic, payload, retain=False, qos=1)
        log.warning("screenshot request not answered: %s", reason)

    def close(self) -> None:
        return None

"""The demo's story: what happens to the simulated floor in each 90-second act, so a first look sees every state.

A new user who runs ``wallboard demo`` for a minute and a half sees the board go through everything it
can say: normal; a value beyond a level while its hold runs (pending); warning; critical, with the chime
and the stack light; an acknowledgement (sent over MQTT, as a supervisor's button or a script would);
recovery. The story does not draw anything nor set any value: it acts on the simulated contact centre
(sales agents pulled into a meeting while an outage elsewhere sends more callers) and the board judges
what the simulator publishes exactly as a site's board would. Steps are timed by the model's clock (in
wall seconds at the demo's speed) and the model steps in whole seconds, so a run with the same seed is the
same run, however loaded the machine. Nothing here reads a board's state.
"""

from __future__ import annotations

from dataclasses import dataclass

STORY_QUEUE = "sales"
STORY_SEED = 26  # a seed whose act shows each state for several seconds (see tests/test_demo.py)
STORY_S = 90.0  # the story's length, in wall seconds


@dataclass(frozen=True)
class StoryStep:
    """At ``at`` seconds into the demo: the queue's arrivals times ``surge``, ``pulled`` agents off the
    phones, or an acknowledgement; ``caption`` is what the demo prints so the watcher knows what to look for."""

    at: float
    caption: str
    surge: float | None = None
    pulled: int | None = None
    acknowledge: bool = False


# The story. The demo config's rules on sales.calls_waiting (warn above 4, critical above 9, hold 8 s) and
# sales.longest_wait_s turn these into: normal, pending (~20 s), warning (~28 s), critical with the chime
# (~40 s), acknowledged (50 s), recovery (~62 s).
STORY: tuple[StoryStep, ...] = (
    StoryStep(0.0, "normal: every queue within its levels"),
    StoryStep(10.0, "sales agents called into a meeting: calls start to wait", surge=1.5, pulled=999),
    StoryStep(30.0, "an outage elsewhere sends sales three times the callers", surge=4.0),
    StoryStep(50.0, "the supervisor acknowledges the alarm (MQTT ack): the chime stops", acknowledge=True),
    StoryStep(60.0, "the meeting ends: agents back on the phones, the queue recovers", surge=1.0, pulled=0),
)


def due_steps(elapsed: float, done: int, story: tuple[StoryStep, ...] = STORY) -> tuple[list[StoryStep], int]:
    """The steps due by ``elapsed`` seconds since the demo started, after the ``done`` already taken; and the new count.

    The story is told once a run: after it the floor runs on as a normal day (an incident every act would
    pile up in today's service level and abandon rate until the board never recovered).
    """
    due = [step for step in story[done:] if step.at <= elapsed]
    return due, done + len(due)

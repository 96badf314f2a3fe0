"""Bounds on config text, checked before it is parsed and before it is validated.

A config may arrive from a file or over MQTT (retained, so on every start). Python's TOML
parser recurses once per nested array or inline table, and the merge, copy and validation
steps recurse once per nested table, so a 40 kB file of ``[[[[...`` or a dotted key
20,000 parts long would end the process with a RecursionError. These checks refuse such
text with one line naming the file and the limit, first on the raw text (size, and an
estimate of the nesting depth that never under-counts), then on the parsed tree without
recursion (depth, number of values, finite numbers).

It must not import the schema or know any key: it bounds shapes, ``problems`` validates meaning.
"""

from __future__ import annotations

import math
import tomllib
from typing import Any

from wallboard.device.errors import ConfigError

MAX_CONFIG_BYTES = 256 * 1024  # the shipped boards are 2-3 kB
MAX_DEPTH = 16  # the deepest real key (display.page[n].widget[n].x) is 5 levels
MAX_VALUES = 20_000  # tables, lists and scalars together


def parse_toml_text(text: str, name: str) -> dict[str, Any]:
    """Parse ``text`` as TOML after bounding it; raise ConfigError with one line if it is refused."""
    check_text(text, name)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{name}: not valid TOML: {exc}"]) from None
    except RecursionError:  # not reachable within MAX_DEPTH; kept so nothing can end the caller
        raise ConfigError([f"{name}: nested too deeply (more than {MAX_DEPTH} levels)"]) from None
    check_tree(raw, name)
    return raw


def check_text(text: str, name: str) -> None:
    """Refuse text longer than MAX_CONFIG_BYTES or nested (tables, lists, dotted keys) beyond MAX_DEPTH."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigError([f"{name}: {too_large(size)}"])
    depth = estimate_depth(text)
    if depth > MAX_DEPTH:
        raise ConfigError([f"{name}: nested too deeply (about {depth} levels; at most {MAX_DEPTH})"])


def too_large(size: int) -> str:
    """Why a config of ``size`` bytes is refused, with its size and the limit (the same words wherever it is seen)."""
    return f"too large ({size} bytes; at most {MAX_CONFIG_BYTES})"


def estimate_depth(text: str) -> int:
    """An upper estimate of TOML nesting: open brackets plus the dots of the key being written.

    Strings and comments are skipped; a dot between two digits (``1.5``, a time) is a number,
    not a key separator. Over-counting is harmless (the limit is far above real configs).
    """
    deepest = brackets = dots = 0
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char in "\"'":
            index = _skip_string(text, index)
            continue
        if char == "#":
            newline = text.find("\n", index)
            index = length if newline < 0 else newline
            continue
        if char in "[{":
            brackets += 1
            dots = 0
        elif char in "]}":
            brackets = max(0, brackets - 1)
        elif char in "=,\n":
            dots = 0
        elif char == "." and not (_digit_at(text, index - 1) and _digit_at(text, index + 1)):
            dots += 1
        deepest = max(deepest, brackets + dots)
        index += 1
    return deepest


def _digit_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isdigit()


def _skip_string(text: str, start: int) -> int:
    """The index just after the string (basic, literal, or either multi-line form) starting at ``start``."""
    quote = text[start]
    triple = text.startswith(quote * 3, start)
    closing = quote * 3 if triple else quote
    index = start + len(closing)
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if not triple and text[index] == "\n":
            return index  # an unterminated one-line string: the parser will say so
        if text.startswith(closing, index):
            end = index + len(closing)
            while end < len(text) and text[end] == quote and triple:
                end += 1  # up to two quotes may end a multi-line string's content
            return end
        index += 1
    return index


def check_tree(raw: dict[str, Any], name: str) -> None:
    """Refuse a parsed tree deeper than MAX_DEPTH, with more than MAX_VALUES values, or holding NaN or infinity."""
    stack: list[tuple[Any, str, int]] = [(raw, "", 0)]
    seen = 0
    while stack:
        value, path, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ConfigError([f"{name}: too many values (more than {MAX_VALUES})"])
        if depth > MAX_DEPTH:
            raise ConfigError([f"{name}: {path}: nested too deeply (more than {MAX_DEPTH} levels)"])
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError([f"{name}: {path}: expected a finite number, got {value}"])
        if isinstance(value, dict):
            stack.extend((item, f"{path}.{key}" if path else str(key), depth + 1) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{number}]", depth + 1) for number, item in enumerate(value, start=1))

"""The README's wire-contract and config examples are real: each is run through the board's own code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from wallboard.device.config.reading import load_config_text
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.state import BoardState
from wallboard.device.edge.ingest import Ingest

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = re.compile(r"topic: `(?P<topic>[^`]+)`\n```json\n(?P<payload>.*?)```", re.S)
TOML_BLOCK = re.compile(r"```toml\n(?P<body>.*?)```", re.S)
NOW = 1_763_800_100.0


def _config_with(extra: str) -> str:
    return f'[site]\nid = "london"\n[board]\nid = "floor1"\n{extra}'


def test_every_wire_example_in_the_readme_is_accepted() -> None:
    """Each `topic:` + JSON example in the README decodes into updates with no rejection."""
    text = README.read_text()
    examples = list(EXAMPLE.finditer(text))
    assert len(examples) >= 4
    mappings = "\n".join(block["body"] for block in TOML_BLOCK.finditer(text) if "[[topic]]" in block["body"])
    config = load_config_text(_config_with(mappings)).config
    counter = RejectionCounter()
    ingest = Ingest(config, counter, clock=lambda: NOW)
    state = BoardState(config, counter, clock=lambda: NOW)
    for example in examples:
        updates = ingest.decode(example["topic"], example["payload"].encode(), NOW)
        assert updates, f"README example on {example['topic']} was rejected: {counter.counts()}"
        state.apply_all(updates)
    assert counter.counts() == {}
    assert state.value("sales.calls_waiting").value == 7  # type: ignore[union-attr]
    assert state.value("billing.service_level_pct").value == 80  # type: ignore[union-attr]
    assert state.leaderboard is not None and state.leaderboard.rows[0].name == "Asha"
    assert [a.id for a in state.announcements(NOW)] == ["drill"]


def test_every_toml_example_in_the_readme_is_valid_config() -> None:
    """Each TOML block in the README is valid config when placed in a board file."""
    blocks = [block["body"] for block in TOML_BLOCK.finditer(README.read_text())]
    assert blocks
    for body in blocks:
        tomllib.loads(body)
        extra = body if "[site]" not in body else ""
        load_config_text(_config_with(extra))


def _code_map_folders() -> list[str]:
    """The first column of the README's code map: the folders and files it names, as written."""
    section = README.read_text().split("## Code map", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])]


def test_the_code_map_names_real_folders_and_every_package() -> None:
    """Every path in the README's code map exists at the root, and every package under src/wallboard is in it."""
    root = README.parent
    named = _code_map_folders()
    assert named, "the code map lists its folders"
    for name in named:
        assert (root / name).exists(), f"the code map names {name}, which is not in the tree"
    packages = {
        init.parent.relative_to(root / "src" / "wallboard").as_posix()
        for init in (root / "src" / "wallboard").rglob("__init__.py")
    } - {"."}
    covered = {name.rstrip("/") for name in named}
    uncovered = sorted(
        p
        for p in packages
        if not any(p == c or f"/{c}/".startswith(f"/{p}/") or p.startswith(c + "/") for c in covered)
    )
    assert not uncovered, f"packages the code map does not name: {uncovered}"


def test_no_file_in_the_tree_holds_a_merge_conflict_marker() -> None:
    """No tracked text file (docs, code, configs) carries a line git leaves behind in an unresolved merge."""
    root = README.parent
    marker = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
    suffixes = {".md", ".py", ".toml", ".sh", ".conf", ".example", ".service", ".json", ".txt", ".rules"}
    found = [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.suffix in suffixes
        and path.is_file()
        and not any(
            part.startswith(".") or part in ("dist", "build", "__pycache__") for part in path.relative_to(root).parts
        )
        and marker.search(path.read_text(errors="replace"))
    ]
    assert not found, f"unresolved merge conflicts in {found}"

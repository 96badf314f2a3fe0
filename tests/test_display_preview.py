"""``wallboard preview`` and the [display] config checks."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from tests.conftest import board_toml
from wallboard.app.cli import main
from wallboard.device.config.reading import load_config
from wallboard.device.errors import ConfigError
from wallboard.display.draw.widgets.ticker import ticker_text

CONFIG = Path(__file__).resolve().parent.parent / "config"


def test_preview_writes_a_png_of_the_requested_size_and_page(tmp_path: Path) -> None:
    """preview renders a shipped board with the shipped sample data to a PNG, with no broker or screen."""
    out = tmp_path / "board.png"
    code = main(["preview", "--config", str(CONFIG / "boards" / "floor1.toml"), "--data",
                 str(CONFIG / "sample-data.json"), "--out", str(out), "--size", "1280x720", "--page", "2"])  # fmt: skip
    assert code == 0
    image = pygame.image.load(str(out))
    assert image.get_size() == (1280, 720)


def test_preview_refuses_a_page_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Asking for page 9 of a two-page board is an error, not an empty picture."""
    code = main(["preview", "--config", str(CONFIG / "boards" / "floor1.toml"), "--data",
                 str(CONFIG / "sample-data.json"), "--out", str(tmp_path / "x.png"), "--page", "9"])  # fmt: skip
    assert code == 2
    assert not (tmp_path / "x.png").exists()


def _problems(tmp_path: Path, extra: str) -> list[str]:
    path = tmp_path / "board.toml"
    path.write_text(board_toml(1883, tmp_path / "state", extra))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_widget_outside_the_grid_is_a_config_error(tmp_path: Path) -> None:
    """A widget whose cells do not fit the page's grid names the widget's key path."""
    extra = '[[display.page]]\ncolumns = 2\nrows = 1\nwidget = [{ type = "clock", at = [2, 1], span = [2, 1] }]\n'
    problems = _problems(tmp_path, extra)
    assert any("display.page[1].widget[1].at: cells [2, 1] to [3, 1] do not fit" in p for p in problems), problems


def test_widget_metric_must_be_known_and_cells_not_shared(tmp_path: Path) -> None:
    """An unknown metric field and two widgets on one cell are both reported."""
    extra = ('[[display.page]]\ncolumns = 2\nrows = 1\nwidget = [{ type = "kpi", metric = "sales.mood" },'
             ' { type = "clock", at = [1, 1] }]\n')  # fmt: skip
    problems = _problems(tmp_path, extra)
    assert any("widget[1].metric" in p and "sales.mood" in p for p in problems), problems
    assert any("widget[2].at: cell [1, 1] is already used by widget 1" in p for p in problems), problems


def test_display_typo_is_an_error(tmp_path: Path) -> None:
    """An unknown key under [display] is an error that suggests the right name."""
    problems = _problems(tmp_path, '[display]\npage_intervall = "10s"\n')
    assert any('display.page_intervall: unknown key; did you mean "page_interval"?' in p for p in problems), problems


def test_bad_schedule_time_is_an_error(tmp_path: Path) -> None:
    """A schedule day that is not HH:MM-HH:MM, on or off names the day."""
    problems = _problems(tmp_path, '[display.schedule]\nmon = "7am-7pm"\n')
    assert any(
        p.endswith('display.schedule.mon: expected "HH:MM-HH:MM", "on" or "off", got "7am-7pm"') for p in problems
    )


def test_ticker_text_is_stripped_of_control_characters_and_bounded() -> None:
    """Untrusted announcement text loses control characters and is cut to a bounded length."""
    text = ticker_text(["Drill\x1b[2J at \x0714:00", "x" * 5000])
    assert "\x1b" not in text and "\x07" not in text and text.startswith("Drill[2J at 14:00")
    assert len(text) <= 2000

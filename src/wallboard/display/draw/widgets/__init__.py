"""Widgets: each reads the board view and draws into its own box; ``build_widget`` makes one from config."""

from __future__ import annotations

from wallboard.device.config.screen_schema import DisplaySettings, WidgetSettings
from wallboard.display.draw.widgets.agent_grid import AgentGrid
from wallboard.display.draw.widgets.agents import AgentStatesBar
from wallboard.display.draw.widgets.base import Frame, Widget
from wallboard.display.draw.widgets.clock import Clock
from wallboard.display.draw.widgets.kpi import KpiTile
from wallboard.display.draw.widgets.leaderboard import LeaderboardPanel
from wallboard.display.draw.widgets.ticker import Ticker
from wallboard.display.draw.widgets.trend import TrendLine

__all__ = ["Frame", "Widget", "build_widget"]


def build_widget(settings: WidgetSettings, display: DisplaySettings) -> Widget:
    """The widget for one ``[[display.page.widget]]`` entry."""
    if settings.type == "kpi":
        return KpiTile(settings)
    if settings.type == "agents":
        return AgentStatesBar(settings)
    if settings.type == "agent_grid":
        return AgentGrid(settings)
    if settings.type == "leaderboard":
        return LeaderboardPanel(settings)
    if settings.type == "ticker":
        return Ticker(settings, display.ticker_speed)
    if settings.type == "clock":
        return Clock(settings)
    return TrendLine(settings)

"""Widgets: each reads the board view and draws into its own box; ``build_widget`` makes one from config."""

from __future__ import annotations

from display.settings import DisplaySettings, WidgetSettings
from display.widgets.agents import AgentStatesBar
from display.widgets.base import Frame, Widget
from display.widgets.clock import Clock
from display.widgets.kpi import KpiTile
from display.widgets.leaderboard import LeaderboardPanel
from display.widgets.ticker import Ticker
from display.widgets.trend import TrendLine

__all__ = ["Frame", "Widget", "build_widget"]


def build_widget(settings: WidgetSettings, display: DisplaySettings) -> Widget:
    """The widget for one ``[[display.page.widget]]`` entry."""
    if settings.type == "kpi":
        return KpiTile(settings)
    if settings.type == "agents":
        return AgentStatesBar(settings)
    if settings.type == "leaderboard":
        return LeaderboardPanel(settings)
    if settings.type == "ticker":
        return Ticker(settings, display.ticker_speed)
    if settings.type == "clock":
        return Clock(settings)
    return TrendLine(settings)

"""The /report chart as a seller sees it: whole-number order ticks, labelled panels, and a legend
that covers nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.legend import Legend

import bot.reports.chart
from bot.reports.chart import render_chart
from bot.store.rollups import Totals

LABELS = ("Orders per day", "Orders sum per day, ₽", "This period", "Previous period")


def days(first: date, orders: list[int]) -> list[tuple[date, Totals]]:
    return [
        (first + timedelta(days=i), Totals(orders=n, orders_sum=n * 1234.5))
        for i, n in enumerate(orders)
    ]


@pytest.fixture
def drawn(monkeypatch):
    """Renders the PNG as the bot does and hands back the figure it was drawn from."""
    figures: list[Figure] = []

    class Recorded(Figure):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            figures.append(self)

    monkeypatch.setattr(bot.reports.chart, "Figure", Recorded)

    def draw(orders: list[int], before: list[int]) -> tuple[Figure, RendererBase]:
        render_chart(days(date(2026, 12, 1), orders), days(date(2026, 11, 24), before), LABELS)
        fig = figures[-1]
        return fig, fig.canvas.get_renderer()  # type: ignore[attr-defined]

    return draw


def test_orders_axis_has_whole_number_ticks_for_small_counts(drawn):
    fig, _r = drawn([1, 0, 2, 1, 0, 1, 2], [0, 1, 1, 0, 2, 1, 0])
    top = fig.axes[0]
    lo, hi = top.get_ylim()
    shown = [t for t in top.get_yticks() if lo <= t <= hi]
    assert len(shown) >= 2
    assert all(float(t).is_integer() for t in shown), shown


def test_a_week_without_orders_still_has_a_readable_whole_number_axis(drawn):
    fig, _r = drawn([0] * 7, [0] * 7)
    top = fig.axes[0]
    assert top.get_ylim() == (0.0, 1.0)
    assert all(float(t).is_integer() for t in top.get_yticks())


def test_each_panel_is_labelled(drawn):
    fig, _r = drawn([3, 5, 1], [2, 2, 2])
    assert [ax.get_title() for ax in fig.axes] == [LABELS[0], LABELS[1]]
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["01.12", "02.12", "03.12"]


def test_the_legend_covers_no_bar_and_no_point(drawn):
    # The busiest days first: a legend in a corner of the plot would sit on these bars.
    fig, renderer = drawn([40, 38, 35, 3, 2, 1, 1, 1, 2, 30], [39, 40, 36, 2, 1, 1, 2, 2, 3, 31])
    legends = [a for a in fig.get_children() if isinstance(a, Legend)]
    legends += [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1
    legend = legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["Previous period", "This period"]
    box = legend.get_window_extent(renderer)
    data = [patch.get_window_extent(renderer) for patch in fig.axes[0].patches]
    data += [line.get_window_extent(renderer) for line in fig.axes[1].lines]
    assert len(data) == 20 + 2
    assert not [d for d in data if box.overlaps(d)]
    for ax in fig.axes:  # nor over the plotting area itself
        assert not box.overlaps(ax.get_window_extent(renderer))


def test_the_png_is_still_1200_by_800():
    png = render_chart(days(date(2026, 12, 1), [1, 2]), [], LABELS)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 800)

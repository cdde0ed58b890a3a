"""The /report chart: orders and their sum per day, this period against the previous one.

matplotlib's object API with the Agg canvas only (pyplot keeps global state and is not thread
safe); the caller runs `render_chart` in a thread. 1200×800 px with large type, legible on a phone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.store.rollups import Totals

WIDTH_IN, HEIGHT_IN, DPI = 12, 8, 100
FONT = 16
CURRENT, PREVIOUS = "#7b2cbf", "#adb5bd"


def _full(value: float, _pos: object = None) -> str:
    return f"{round(value):,}".replace(",", " ")


def render_chart(
    days: Sequence[tuple[date, Totals]],
    previous_days: Sequence[tuple[date, Totals]],
    labels: tuple[str, str, str, str],
) -> bytes:
    """A PNG. `labels`: the orders axis title, the sum axis title, and the legends of this
    period and the previous one (already translated)."""
    fig = build_chart(days, previous_days, labels)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def build_chart(
    days: Sequence[tuple[date, Totals]],
    previous_days: Sequence[tuple[date, Totals]],
    labels: tuple[str, str, str, str],
) -> Figure:
    """The figure `render_chart` draws: two labelled panels sharing the days, and one legend
    above both, outside the plots, so it never hides a bar or a point."""
    orders_title, sum_title, this_label, previous_label = labels
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    xs = list(range(len(days)))
    width = 0.4
    prev = list(previous_days)[: len(days)]
    prev_xs = xs[: len(prev)]
    top.bar(
        [x - width / 2 for x in prev_xs],
        [t.orders for _, t in prev],
        width,
        color=PREVIOUS,
        label=previous_label,
    )
    top.bar(
        [x + width / 2 for x in xs],
        [t.orders for _, t in days],
        width,
        color=CURRENT,
        label=this_label,
    )
    line = {"linewidth": 3, "marker": "o"}
    bottom.plot(prev_xs, [t.orders_sum for _, t in prev], color=PREVIOUS, **line)
    bottom.plot(xs, [t.orders_sum for _, t in days], color=CURRENT, **line)
    top.set_title(orders_title, fontsize=FONT + 4)
    bottom.set_title(sum_title, fontsize=FONT + 4)
    for ax in (top, bottom):
        ax.tick_params(labelsize=FONT)
        ax.yaxis.set_major_formatter(FuncFormatter(_full))
        ax.grid(axis="y", alpha=0.3)
        ax.set_ylim(bottom=0)
    # Orders are counted in whole ones: no "0.5 orders" tick, and a day without orders still
    # gets a 0–1 axis rather than an empty one.
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_ylim(0, max(1.0, top.get_ylim()[1]))
    bottom.set_ylim(0, max(1.0, bottom.get_ylim()[1]))
    fig.legend(fontsize=FONT, loc="outside upper center", ncols=2, frameon=False)
    step = max(1, len(xs) // 8)  # at most ~8 labels: readable on a phone
    bottom.set_xticks(xs[::step], [d.strftime("%d.%m") for d, _ in days][::step])
    return fig

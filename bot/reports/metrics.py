"""The numbers of a report, one definition each (see bot.store.orders for where they come from,
and bot.store.rollups.Totals, which the store sums them into). Pure: the reading is done by the
caller (bot.handlers.report_data.load_report), never here.

- orders / orders_sum: orders placed in the period, cancelled ones included, summed at
  ``priceWithDisc`` (the price after the seller's discount, before WB's own discount);
- cancels / cancels_sum: orders cancelled in the period (by cancellation time);
- buyouts / buyouts_sum: sales rows (``saleID`` S…) dated in the period;
- returns / returns_sum: return rows (``saleID`` R…) dated in the period;
- for_pay: what WB pays the seller, ``forPay`` of buyouts less that of returns;
- buyout_rate: buyouts / (buyouts + returns + cancels), WB's "процент выкупа": of the orders
  that reached a result in the period (bought out, returned or cancelled), the share bought
  out (None when none did);
- average_order: orders_sum / orders (None without orders).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.reports.periods import Period, local_midnight
from bot.store.rollups import ProductTotals, SplitRow, Totals

HOUR = 3600


@dataclass(frozen=True)
class Delta:
    """A number against the previous period: the change and the change in percent."""

    current: float
    previous: float

    @property
    def change(self) -> float:
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """None when the previous value is 0 (a percentage of nothing means nothing)."""
        if not self.previous:
            return None
        return (self.current - self.previous) / abs(self.previous) * 100.0


def delta(current: float, previous: float) -> Delta:
    return Delta(float(current), float(previous))


def local_day_of_hour(hour: datetime, zone: tzinfo) -> date:
    """The local day an UTC hour bucket counts for. Periods start at the UTC hour containing
    local midnight (exact for whole-hour offsets), so an hour belongs to the day its last second
    falls in: for +05:30, 18:00–19:00 UTC (23:30–00:30 local) counts for the new day, as in
    the totals."""
    return (hour + timedelta(seconds=HOUR - 1)).astimezone(zone).date()


def local_day_runs(
    days: Sequence[date], zone: tzinfo, lo: int, hi: int
) -> list[tuple[int, int, int]]:
    """The UTC hours in [lo, hi) (hour starts, unix seconds) that count for each of the
    consecutive local `days` by `local_day_of_hour`, as runs (first hour, end hour, index into
    `days`) — what `by_local_day` sums, without going through the hours one by one when the
    zone's offset is the same at every local midnight (no clock change in between)."""
    if not days or lo >= hi:
        return []
    midnights = [local_midnight(day, zone) for day in days]
    midnights.append(local_midnight(days[-1] + timedelta(days=1), zone))
    if len({m.utcoffset() for m in midnights}) == 1:
        edges = [int(m.timestamp()) // HOUR * HOUR for m in midnights]
        runs = [(max(lo, a), min(hi, b), i) for i, (a, b) in enumerate(itertools.pairwise(edges))]
        return [r for r in runs if r[0] < r[1]]
    index = {day: i for i, day in enumerate(days)}
    found: list[tuple[int, int, int]] = []
    for hour in range(lo // HOUR * HOUR, hi, HOUR):
        i = index.get(local_day_of_hour(datetime.fromtimestamp(hour, UTC), zone))
        if i is None:
            continue
        if found and found[-1][1] == hour and found[-1][2] == i:
            found[-1] = (found[-1][0], hour + HOUR, i)
        else:
            found.append((hour, hour + HOUR, i))
    return found


def by_local_day(
    hours: Sequence[tuple[datetime, Totals]], days: Sequence[date], zone: tzinfo
) -> list[tuple[date, Totals]]:
    """Hourly totals summed into the given local days (days without data get zeros)."""
    sums: dict[date, Totals] = {day: Totals() for day in days}
    for hour, value in hours:
        day = local_day_of_hour(hour, zone)
        if day in sums:
            sums[day] = sums[day] + value
    return [(day, sums[day]) for day in days]


@dataclass(frozen=True)
class ProductChange(ProductTotals):
    """A product's orders sum now (its totals) and in the previous period."""

    previous_orders: int
    previous_sum: float

    @property
    def change(self) -> float:
        return self.orders_sum - self.previous_sum


def biggest_falls(
    current: Sequence[ProductTotals], previous: Sequence[ProductTotals], limit: int = 5
) -> list[ProductChange]:
    """Products whose orders sum fell most against the previous period (only falls)."""
    now = {p.nm_id: p for p in current}
    changes = []
    for before in previous:
        after = now.get(before.nm_id)
        change = ProductChange(
            nm_id=before.nm_id,
            supplier_article=before.supplier_article,
            subject=before.subject,
            title=before.title,
            orders=after.orders if after else 0,
            orders_sum=after.orders_sum if after else 0.0,
            previous_orders=before.orders,
            previous_sum=before.orders_sum,
        )
        if change.change < 0:
            changes.append(change)
    changes.sort(key=lambda c: (c.change, c.nm_id))
    return changes[:limit]


@dataclass(frozen=True)
class ReportData:
    """Everything a /report shows, read from the store in one go."""

    period: Period
    zone: tzinfo
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    current: Totals
    previous: Totals
    days: list[tuple[date, Totals]]
    previous_days: list[tuple[date, Totals]]
    products: list[ProductTotals]
    falls: list[ProductChange]
    warehouses: list[SplitRow]
    regions: list[SplitRow]
    as_of: datetime | None
    data_starts: datetime | None

    @property
    def top(self) -> list[ProductTotals]:
        return self.products[:TOP]

    @property
    def partly_before_data(self) -> bool:
        """The period (or the one compared with) starts before the shop's first stored row."""
        return self.data_starts is not None and self.previous_start < self.data_starts


TOP = 5

"""What /report shows, read from the store in one go: the store's queries (bot.store.rollups,
orders, polls) put together by bot.reports.metrics' pure rules. The reading lives here, on the
handlers' side, so bot.reports computes without I/O and the store knows nothing of reports
(the money block's reads are bot.money.view's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.reports.metrics import HOUR, ReportData, biggest_falls, local_day_runs
from bot.reports.periods import Period
from bot.store import orders, polls, rollups
from bot.store.db import Database, unix
from bot.store.rollups import Totals


async def load_report(
    db: Database, shop_ids: Sequence[int], period: Period, zone: tzinfo, now: datetime
) -> ReportData:
    """Reads the period and the previous one from the store (never WB)."""
    start, end = period.bounds(zone, now)
    prev_start, prev_end = period.previous_bounds(zone, now)
    current = await rollups.totals(db, shop_ids, start, end)
    previous = await rollups.totals(db, shop_ids, prev_start, prev_end)
    # The chart's days, as by_local_day(store.hourly(prev_start, end)) would sum them (the
    # previous days without the hours from the one holding prev_end on), read as one sum per
    # run of hours.
    days, previous_days = period.day_list(), period.previous().day_list()
    first_hour, end_hour = unix(prev_start) // HOUR * HOUR, -(-unix(end) // HOUR) * HOUR
    previous_end_hour = unix(prev_end) // HOUR * HOUR
    runs = [
        (lo, min(hi, previous_end_hour) if i < len(previous_days) else hi, i)
        for lo, hi, i in local_day_runs(previous_days + days, zone, first_hour, end_hour)
    ]
    sums = await rollups.range_totals(db, shop_ids, [(lo, hi) for lo, hi, _i in runs])
    per_day = [Totals() for _ in previous_days + days]
    for (_lo, _hi, i), value in zip(runs, sums, strict=True):
        per_day[i] = per_day[i] + value
    products, previous_products = await rollups.product_totals_pair(
        db, shop_ids, (prev_start, prev_end), start, end
    )
    warehouses, regions = await rollups.splits(db, shop_ids, start, end)
    return ReportData(
        period=period,
        zone=zone,
        start=start,
        end=end,
        previous_start=prev_start,
        previous_end=prev_end,
        current=current,
        previous=previous,
        days=list(zip(days, per_day[len(previous_days) :], strict=True)),
        previous_days=list(zip(previous_days, per_day[: len(previous_days)], strict=True)),
        products=products,
        falls=biggest_falls(products, previous_products),
        warehouses=warehouses,
        regions=regions,
        as_of=await polls.data_as_of(db, shop_ids),
        data_starts=await orders.first_order_at(db, shop_ids),
    )

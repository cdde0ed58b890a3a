"""The finance job: WB's finance report (``POST finance-api
/api/finance/v1/sales-reports/detailed``, 13-finances.yaml postV1SalesReportsDetailed) into
finance_rows.

What it fetches, in order of worth:

1. the last weekly report (Monday to Sunday, Moscow), once WB has published it (a 204 on its
   first page shortly after the week means "not yet": asked again RETRY later);
2. the weeks before it, back to BACKFILL_WEEKS (a month of profit);
3. the daily reports of the current week so far, refreshed every DAILY_EVERY (a Base key: at
   most every fourth of its calls).

Each report is paged by ``rrdId`` until WB answers 204, one call per run; the rows are upserted
by (shop, rrd_id), so a page fetched again changes nothing. Every call goes through the
engine's limiter: Personal 1 per minute; Base 2 per 24 hours, one every 12 hours, which makes a
week's report two calls (its rows, then the 204) and a day's budget one daily refresh at most.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from bot.store.finance import (
    FetchedPeriod,
    FinanceEntry,
    fetched_periods,
    record_page,
    upsert_rows,
)
from bot.store.polls import update_poll
from bot.sync.flow import poll_ok
from bot.sync.schedule import next_slot, token_type_of
from bot.sync.skips import count_skips
from bot.timeutil import MSK
from bot.wb.finance import (
    DAILY,
    MONEY_FIELDS,
    PAGE_LIMIT,
    WEEKLY,
    FinanceRow,
    parse_finance_rows,
    request_body,
)
from bot.wb.methods import HOUR, METHODS, limit_for
from bot.wb.models import BadPayload

if TYPE_CHECKING:
    from bot.store.polls import PollState
    from bot.store.shops import Shop
    from bot.sync.flow import FlowEngine

log = logging.getLogger(__name__)

BACKFILL_WEEKS = 4
#: A weekly report not out yet is asked for again this long (scaled) after.
RETRY = 6 * HOUR
#: A week whose report still answers 204 this many days after its Sunday had no operations.
PUBLISH_GRACE = timedelta(days=7)
#: The current week's daily reports are fetched again after this (scaled), or after four of
#: the method's intervals, whichever is longer (a Base key: every 48 hours).
DAILY_EVERY = 6 * HOUR

_KOPECK = Decimal("0.01")


def kopecks(value: Decimal) -> int:
    """Roubles to whole kopecks, half up (the spec's '1.349' is 135 kopecks)."""
    return int(value.quantize(_KOPECK, rounding=ROUND_HALF_UP) * 100)


#: FinanceEntry fields FinanceRow has under the same name and type.
_SAME = (
    "rrd_id",
    "report_id",
    "period",
    "kind",
    "nm_id",
    "barcode",
    "doc_type",
    "oper",
    "bonus_type",
    "quantity",
    "delivery_amount",
    "return_amount",
    "srid",
)


def entry(row: FinanceRow) -> FinanceEntry:
    """WB's row as the store keeps it: dates as text, times as UTC seconds, money in kopecks."""
    copied: dict[str, Any] = {name: getattr(row, name) for name in _SAME}
    copied.update((name, kopecks(getattr(row, name))) for name in MONEY_FIELDS)
    return FinanceEntry(
        **copied,
        date_from=row.date_from.isoformat(),
        date_to=row.date_to.isoformat(),
        rr_date=row.rr_date.isoformat() if row.rr_date else None,
        sa_name=row.vendor_code,
        ts_name=row.tech_size,
        order_dt=row.order_dt.timestamp() if row.order_dt else None,
        sale_dt=row.sale_dt.timestamp() if row.sale_dt else None,
        commission_percent=float(row.commission_percent),
    )


def today_msk(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).astimezone(MSK).date()


def next_fetch(
    periods: list[FetchedPeriod],
    today: date,
    now: float,
    scale: float,
    daily_every: float,
) -> tuple[str, date, date] | None:
    """The report period worth a call now, or None."""
    held = {(p.period, p.date_from, p.date_to): p for p in periods}
    this_monday = today - timedelta(days=today.weekday())
    for weeks_back in range(1, BACKFILL_WEEKS + 1):
        monday = this_monday - timedelta(weeks=weeks_back)
        got = held.get((WEEKLY, monday, monday + timedelta(days=6)))
        if got is None:
            return WEEKLY, monday, monday + timedelta(days=6)
        if not got.complete and now - got.fetched_at >= RETRY * scale:
            return WEEKLY, monday, monday + timedelta(days=6)
    yesterday = today - timedelta(days=1)
    if yesterday < this_monday:
        return None  # Monday: the week so far has no day WB has reported
    last_daily = max(
        (p.started_at for p in periods if p.period == DAILY and p.date_from == this_monday),
        default=None,
    )
    if last_daily is None or now - last_daily >= daily_every:
        return DAILY, this_monday, yesterday
    return None


async def poll_finance(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    started = time.time()
    state: dict[str, Any] = json.loads(poll.task) if poll.task else {}
    if not state:
        periods = await fetched_periods(engine.db, shop.id)
        limit = limit_for(METHODS["finance_detailed"], token_type_of(shop), engine.scale)
        daily_every = max(DAILY_EVERY * engine.scale, 4 * (limit.interval if limit else 0))
        chosen = next_fetch(periods, today_msk(started), started, engine.scale, daily_every)
        if chosen is None:
            async with engine.tx() as conn:
                await update_poll(
                    conn,
                    shop.id,
                    poll.job,
                    failures=0,
                    baseline_done=1,
                    next_due_at=next_slot(shop.id, poll.job, period, started),
                )
            return
        kind, first, last = chosen
        state = {
            "period": kind,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "rrd": 0,
            "started": started,
        }
    kind = str(state["period"])
    first, last = date.fromisoformat(state["from"]), date.fromisoformat(state["to"])
    rrd_id = int(state["rrd"])
    fetch_started = float(state.get("started", started))
    body = request_body(first.isoformat(), last.isoformat(), kind, rrd_id, PAGE_LIMIT)
    raw = await engine.call(shop, "finance_detailed", engine.wb.finance_detailed, token, body)
    parsed = parse_finance_rows(raw, kind)
    done = time.time()
    if raw:
        cursor = _cursor(raw, parsed.rows)
        if cursor <= rrd_id:
            raise BadPayload("finance report: the page does not move past rrdId")
        complete, task = False, json.dumps({**state, "rrd": cursor})
    else:
        # 204 (or an empty array): the end of the report. On the very first page of a week
        # that ended lately it means WB has not published it yet: asked again after RETRY.
        unpublished = kind == WEEKLY and rrd_id == 0 and today_msk(done) <= last + PUBLISH_GRACE
        cursor, complete, task = rrd_id, not unpublished, None
    async with engine.tx() as conn:
        await upsert_rows(conn, shop.id, [entry(r) for r in parsed.rows])
        await record_page(
            conn,
            shop.id,
            kind,
            first,
            last,
            rrd_id=cursor,
            rows=len(parsed.rows),
            complete=complete,
            started_at=fetch_started,
            now=done,
        )
        await count_skips(conn, shop.id, "finance", parsed)
        # The next page, or what is due next if anything: decided at once, and the limiter
        # says when the call may go.
        await poll_ok(conn, poll, done, task=task, next_due_at=done)


def _cursor(raw: list[Any], rows: list[FinanceRow]) -> int:
    """The next request's rrdId: the last row's (13-finances.yaml: "передавайте значение rrdId
    из последней строки предыдущего ответа"), or the largest read when that row is unreadable."""
    last = raw[-1].get("rrdId") if isinstance(raw[-1], dict) else None
    if isinstance(last, int) and not isinstance(last, bool) and last > 0:
        return last
    return max((r.rrd_id for r in rows), default=0)

"""Hostile WB answers through the real sync engine: garbage pages, garbage rows, 429 storms,
5xx and hung sockets. The seller must notice nothing worse than a late alert: good rows are
kept, bad rows are counted and change nothing stored, no poll dies of an exception, WB's
limits are never exceeded and polling resumes when WB recovers."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.timeutil import MSK
from tests.fuzz.conftest import SCALE, SyncRig, Tally, fuzz

BACKOFF_BASE = 5.0  # bot.sync.engine.BACKOFF_BASE, the first 5xx back-off before scaling

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)

#: Values that make a statistics row unusable whatever else it holds (bot.wb.models).
BAD_VALUES: dict[str, list[Any]] = {
    "srid": [None, True, [], {}, "", "   ", "x" * 201, 1.5, "\x00\x01"],
    "date": [None, 123, "garbage", "2026-13-45T00:00:00", "", [], "2026-02-30T10:00:00"],
    "lastChangeDate": [None, 123, "yesterday", "2026-11-31T25:00:00", "", {}],
    "nmId": [None, 0, -3, "abc", True, 1.5, 2**64, [], "12a"],
}
#: Optional fields with hostile values: tolerated (a zero, an empty string), never fatal.
ODD_VALUES: dict[str, list[Any]] = {
    "totalPrice": ["abc", None, [], {}, 1e300, "1,5", True, -(2**80), "١٢٣"],
    "priceWithDisc": ["NaN", "Infinity", "", "9" * 50, False],
    "brand": [None, 5, [], "x" * 10_000, "<b>&amp;</b>", "\u202e\x00\x1b[31m"],
    "subject": ["\ud7ff" * 300, 3.14, {"ru": "Платья"}],
    "isCancel": ["maybe", 2, None, [], "TRUE"],
    "cancelDate": ["0001-01-01T00:00:00", "never", 17, "9999-12-31T23:59:59"],
    "incomeID": ["x", 1e20, -1, None],
    "warehouseName": ["", " " * 300, "Коледино\n\t"],
}


def msk(moment: datetime) -> str:
    return moment.astimezone(MSK).strftime("%Y-%m-%dT%H:%M:%S")


@st.composite
def order_page(draw: st.DrawFn, template: dict[str, Any], known: list[str]) -> dict[str, Any]:
    """A page: good rows, rows with odd optional fields (both must be stored), bad rows (must
    be skipped and counted), duplicates, out of order; or not a list at all."""
    if draw(st.integers(0, 9)) == 0:
        return {"payload": draw(json_values.filter(lambda v: not isinstance(v, list))), "bad": 0}
    now = datetime.now(MSK)
    rows: list[Any] = []
    flags: list[bool] = []  # row i is bad
    good: set[str] = set()
    bad = 0
    for i in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["good", "good", "odd", "bad", "bad", "junk", "dup"]))
        row = dict(template)
        srid = f"fz-{draw(st.uuids()).hex[:12]}-{i}"
        stamp = msk(now - timedelta(seconds=draw(st.integers(0, 600))))
        row.update(srid=srid, date=stamp, lastChangeDate=stamp)
        if kind == "junk":
            rows.append(draw(json_scalars | st.lists(json_scalars, max_size=3)))
            flags.append(True)
            bad += 1
            continue
        if kind == "dup" and rows and isinstance(rows[-1], dict):
            rows.append(dict(rows[-1]))
            flags.append(flags[-1])
            bad += flags[-1]
            continue
        if kind == "odd":
            odd = st.lists(st.sampled_from(sorted(ODD_VALUES)), min_size=1, unique=True)
            for key in draw(odd):
                row[key] = draw(st.sampled_from(ODD_VALUES[key]))
        if kind == "bad":
            if known and draw(st.booleans()):
                row["srid"] = draw(st.sampled_from(known))  # an existing order, garbled
            field = draw(st.sampled_from(sorted(BAD_VALUES)))
            if draw(st.booleans()):
                del row[field]
            else:
                row[field] = draw(st.sampled_from(BAD_VALUES[field]))
            bad += 1
        else:
            good.add(srid)
        rows.append(row)
        flags.append(kind == "bad")
    order = draw(st.permutations(range(len(rows))))
    return {"payload": [rows[i] for i in order], "bad": bad, "good": good}


async def snapshot(rig: SyncRig) -> tuple[dict[str, tuple], tuple]:
    rows = await rig.rig.db.fetchall("SELECT * FROM orders ORDER BY srid")
    cursor = await rig.rig.db.fetchone(
        "SELECT cursor, newest_change FROM polls WHERE method = 'orders'"
    )
    return {r["srid"]: tuple(r) for r in rows}, tuple(cursor)


async def setup_shop(rig: SyncRig, categories: tuple[str, ...]) -> tuple[int, str, str]:
    shop, sid, token = await rig.rig.connect(acc=3, categories=categories)
    for _ in range(3):
        rig.rig.wb.add_order(sid)

    async def ready() -> bool:
        value = await rig.rig.scalar(
            "SELECT MIN(baseline_done) FROM polls WHERE shop_id = ?", (shop.id,)
        )
        return bool(value)

    await rig.rig.run_until(ready, within=15)
    return shop.id, sid, token


def make_due(rig: SyncRig, shop_id: int, job: str | None = None):
    async def due() -> None:
        if job is None:
            await rig.rig.db.write(
                "UPDATE polls SET next_due_at = 0 WHERE shop_id = ?", (shop_id,)
            )
        else:
            await rig.rig.db.write(
                "UPDATE polls SET next_due_at = 0 WHERE shop_id = ? AND method = ?",
                (shop_id, job),
            )

    return due


async def recovers(rig: SyncRig, sid: str) -> None:
    """Once WB answers normally again, a new order is stored within seconds."""
    rig.rig.wb.clear_injections()
    order = rig.rig.wb.add_order(sid)
    await rig.rig.run_until(
        lambda: rig.rig.scalar("SELECT 1 FROM orders WHERE srid = ?", (order["srid"],)),
        within=10,
    )


def test_hostile_order_pages_keep_good_rows_and_count_bad_ones(syncrig: SyncRig) -> None:
    rig = syncrig
    tally = Tally("order pages")
    shop_id, sid, _ = rig.run(setup_shop(rig, ("statistics",)))
    known = [r[0] for r in rig.run(rig.rig.db.fetchall("SELECT srid FROM orders"))]
    template = rig.rig.wb.order(sid, known[0])

    @fuzz(60)
    @given(page=order_page(template, known))
    def example(page: dict[str, Any]) -> None:
        before, cursor_before = rig.run(snapshot(rig))
        skipped_before = rig.run(rig.counter("wb_rows_skipped_orders"))
        rig.rig.wb.malformed_next("orders", page["payload"], sid=sid)
        rig.run(rig.poll_once(sid, "orders", make_due(rig, shop_id, "orders")))
        after, cursor_after = rig.run(snapshot(rig))
        skipped = rig.run(rig.counter("wb_rows_skipped_orders")) - skipped_before
        tally.add("examples")
        assert rig.run(rig.counter("sync_unexpected_errors")) == 0
        if page["payload"] is None:  # WB's "no rows" in some answers: an empty page
            tally.add("pages_null")
            assert after == before and cursor_after == cursor_before
            return
        if not isinstance(page["payload"], list):
            tally.add("pages_not_a_list")
            assert after == before and cursor_after == cursor_before
            error = rig.run(rig.rig.scalar("SELECT last_error FROM polls WHERE method='orders'"))
            assert error, "a page of the wrong shape leaves no trace"
            return
        good = page["good"]
        tally.add("rows", len(page["payload"]))
        tally.add("rows_good", len(good))
        tally.add("rows_bad", page["bad"])
        assert skipped == page["bad"]
        assert good <= set(after), "a good row was lost"
        for srid, row in before.items():
            if srid in good:  # hypothesis may draw an earlier example's srid again
                continue
            assert after[srid] == row, f"order {srid} changed by a page that did not carry it"
        if not good:
            assert after == before and cursor_after == cursor_before

    example()
    rig.run(recovers(rig, sid))
    tally.add("sync_unexpected_errors", rig.run(rig.counter("sync_unexpected_errors")))
    tally.add("wb_violations", rig.rig.wb.total_violations())
    tally.report()
    assert rig.rig.wb.total_violations() == 0


GROUPS = ["orders", "sales", "fbs_new", "cards", "remains_create", "remains_status",
          "remains_download"]  # fmt: skip


def test_any_json_from_any_method_never_kills_a_poll(syncrig: SyncRig) -> None:
    rig = syncrig
    tally = Tally("any json")
    shop_id, sid, _ = rig.run(
        setup_shop(rig, ("statistics", "analytics", "marketplace", "content"))
    )

    @fuzz(60)
    @given(
        group=st.sampled_from(GROUPS),
        payload=st.one_of(
            json_values,
            st.binary(max_size=64),
            st.sampled_from([b"", b"{", b"[1,2", b"\xff\xfe", b"null", b"[]" * 3, b"1e999999"]),
        ),
    )
    def example(group: str, payload: Any) -> None:
        rig.rig.wb.malformed_next(group, payload, sid=sid)
        try:
            rig.run(rig.poll_once(sid, group, make_due(rig, shop_id), within=2))
            tally.add("delivered")
        except AssertionError:  # that job was not due in time (a stock task not under way)
            tally.add("not_reached")
        rig.rig.wb.clear_injections()
        tally.add("examples")
        assert rig.run(rig.counter("sync_unexpected_errors")) == 0

    example()
    rig.run(recovers(rig, sid))
    tally.add("shop_alive", rig.run(rig.rig.scalar("SELECT state = 'active' FROM shops")))
    tally.add("wb_violations", rig.rig.wb.total_violations())
    tally.report()
    assert rig.rig.wb.total_violations() == 0
    assert rig.run(rig.rig.scalar("SELECT state FROM shops")) == "active"


faults = st.lists(
    st.one_of(
        st.tuples(st.just("429"), st.floats(0.001, 0.2), st.integers(1, 5)),
        st.tuples(st.sampled_from(["500", "502", "503", "504"]), st.just(0.0), st.integers(1, 4)),
        st.tuples(st.just("hang"), st.sampled_from([0.05, 1.2]), st.integers(1, 2)),
    ),
    min_size=1,
    max_size=5,
)


def test_429_storms_5xx_and_hung_sockets(syncrig: SyncRig) -> None:
    rig = syncrig
    tally = Tally("http faults")
    shop_id, sid, _ = rig.run(setup_shop(rig, ("statistics", "marketplace")))

    @fuzz(15)
    @given(plan=faults, group=st.sampled_from(["orders", "sales", "fbs_new"]))
    def example(plan: list[tuple[str, float, int]], group: str) -> None:
        rig.run(rig.rig.db.write("UPDATE polls SET last_error = NULL"))
        start = len(rig.rig.wb.requests)
        expected = 0
        for kind, arg, times in plan:
            if kind == "429":
                rig.rig.wb.fail_next(group, 429, retry=arg, times=times, sid=sid)
            elif kind == "hang":
                rig.rig.wb.hang_next(group, arg, times=times, sid=sid)
            else:
                rig.rig.wb.fail_next(group, int(kind), times=times, sid=sid)
            expected += times
        # The engine keeps its own pace: nothing is forced due, it backs off as it sees fit.
        rig.run(rig.rig.run_until(lambda: not rig.rig.wb._injections, within=20))
        tally.add("examples")
        tally.add("faults", expected)
        job = {"fbs_new": "fbs"}.get(group, group)
        error = rig.run(
            rig.rig.scalar(
                "SELECT last_error FROM polls WHERE shop_id = ? AND method = ?", (shop_id, job)
            )
        )
        quick_hangs_only = all(k == "hang" and a < 1.0 for k, a, _ in plan)  # client: 1 s
        if not quick_hangs_only:
            assert error, f"{plan} left no last_error on {job}"
        assert rig.run(rig.counter("sync_unexpected_errors")) == 0
        assert rig.rig.wb.total_violations() == 0, rig.rig.wb.violations
        # After a 5xx the next call waits at least half the first back-off.
        calls = [r for r in rig.rig.wb.requests[start:] if r.sid == sid and r.group == group]
        for prev, nxt in itertools.pairwise(calls):
            if prev.status is not None and prev.status >= 500:
                assert nxt.t - prev.t >= 0.5 * BACKOFF_BASE * SCALE, (prev, nxt)
        rig.run(recovers(rig, sid))

    example()
    tally.add("wb_requests", len(rig.rig.wb.requests))
    tally.add("wb_429_seen", rig.run(rig.counter("wb_429")))
    tally.add("wb_violations", rig.rig.wb.total_violations())
    tally.report()

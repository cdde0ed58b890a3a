"""The daily rollups per product, warehouse and region (and the hourly totals): exact after every
kind of update WB sends, backfilled by their migration, and report numbers read through them equal
the numbers computed straight from the raw rows for random periods in zones other than Moscow."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.report_data import load_report
from bot.reports.metrics import biggest_falls, by_local_day
from bot.reports.periods import Period, parse_period
from bot.store import Database, rollups
from bot.store.db import migration_scripts
from bot.store.rollups import refresh_rollups, week_of
from bot.sync.rows import insert_fbs_orders, upsert_orders
from bot.timeutil import utc_to_msk_str
from bot.wb.models import FbsOrder, Order
from tests.reports.seed import make_shop, order, utc

DAY = 86400
HOUR = 3600


def changed(o: Order, at: datetime, **fields) -> Order:
    """A later version of `o` as WB sends it: a newer lastChangeDate and the fields given."""
    return replace(o, last_change=at, last_change_raw=utc_to_msk_str(at), **fields)


async def apply(db: Database, shop_id: int, orders: list[Order]) -> None:
    """What the sync engine does with a page of orders: upsert and refresh, one transaction."""
    async with db.transaction() as conn:
        changes = await upsert_orders(conn, shop_id, orders)
        await refresh_rollups(conn, shop_id, changes.hours)


async def expected(db, shop_id):
    """Every rollup recomputed in Python from the raw rows: the definitions."""
    out = {
        "products": {},
        "product_weeks": {},
        "warehouses": {},
        "regions": {},
        "hours": {},
    }
    rows = await db.fetchall(
        "SELECT ts, cancel_ts, nm_id, supplier_article, subject, warehouse, region, "
        "price_with_disc FROM orders WHERE shop_id = ?",
        (shop_id,),
    )
    for ts, cancel_ts, nm, article, subject, warehouse, region, price in rows:
        day = ts // DAY * DAY
        for kind, bucket in (("products", day), ("product_weeks", week_of(day))):
            p = out[kind].setdefault((bucket, nm), [0, 0.0, article, subject])
            p[0] += 1
            p[1] += price
            p[2], p[3] = max(p[2], article), max(p[3], subject)
        for kind, name in (("warehouses", warehouse), ("regions", region)):
            s = out[kind].setdefault((day, name), [0, 0.0])
            s[0] += 1
            s[1] += price
        h = out["hours"].setdefault((ts // HOUR * HOUR,), [0, 0.0, 0, 0.0])
        h[0] += 1
        h[1] += price
        if cancel_ts is not None:
            c = out["hours"].setdefault((cancel_ts // HOUR * HOUR,), [0, 0.0, 0, 0.0])
            c[2] += 1
            c[3] += price
    return out


async def stored(db, shop_id):
    queries = {
        "products": "SELECT day, nm_id, orders, orders_sum, supplier_article, subject "
        "FROM rollup_products WHERE shop_id = ?",
        "product_weeks": "SELECT week, nm_id, orders, orders_sum, supplier_article, subject "
        "FROM rollup_product_weeks WHERE shop_id = ?",
        "warehouses": "SELECT day, warehouse, orders, orders_sum FROM rollup_warehouses "
        "WHERE shop_id = ?",
        "regions": "SELECT day, region, orders, orders_sum FROM rollup_regions WHERE shop_id = ?",
        # Hours whose orders all moved away stay as zero rows: the same as no row.
        "hours": "SELECT hour, orders, orders_sum, cancels, cancels_sum FROM rollup_hours "
        "WHERE shop_id = ? AND (orders > 0 OR cancels > 0)",
    }
    out = {}
    for kind, sql in queries.items():
        width = 1 if kind == "hours" else 2
        out[kind] = {
            tuple(r)[:width]: list(tuple(r)[width:]) for r in await db.fetchall(sql, (shop_id,))
        }
    return out


async def assert_exact(db, shop_id):
    want, got = await expected(db, shop_id), await stored(db, shop_id)
    for kind in want:
        assert got[kind].keys() == want[kind].keys(), kind
        for key, values in want[kind].items():
            assert got[kind][key] == pytest.approx(values), (kind, key)


async def test_rollups_stay_exact_through_every_kind_of_update(db, keyring):
    shop = await make_shop(db, keyring, 601)
    t = utc(2026, 11, 10, 10, 15)
    o1 = order("o1", t, 1000, nm_id=1, warehouse="Коледино", region="Москва")
    o2 = order("o2", t + timedelta(minutes=20), 1500, nm_id=2, warehouse="Тула", region="Тула")
    o3 = order("o3", t + timedelta(hours=3), 700.35, nm_id=2, warehouse="Казань")
    o4 = order("o4", t + timedelta(days=1), 250, nm_id=3, region="Новосибирская")
    await apply(db, shop.id, [o1, o2, o3, o4])
    await assert_exact(db, shop.id)
    later = t + timedelta(days=5)

    # Moved to another hour the same day, then to another day (its old day loses product 1).
    o1 = changed(o1, later, date=t + timedelta(hours=5))
    await apply(db, shop.id, [o1])
    await assert_exact(db, shop.id)
    o1 = changed(o1, later + timedelta(seconds=1), date=t - timedelta(days=2))
    await apply(db, shop.id, [o1])
    await assert_exact(db, shop.id)
    day = int(t.timestamp()) // DAY * DAY
    assert (
        await db.fetchone(
            "SELECT 1 FROM rollup_products WHERE shop_id = ? AND day = ? AND nm_id = 1",
            (shop.id, day),
        )
        is None
    )

    # Cancelled: still an order of its day (cancelled ones count), now a cancellation too.
    o2 = changed(o2, later, is_cancel=True, cancel_date=t + timedelta(days=1, hours=2))
    await apply(db, shop.id, [o2])
    await assert_exact(db, shop.id)
    # The cancellation time corrected to another hour.
    o2 = changed(o2, later + timedelta(hours=1), cancel_date=t + timedelta(days=1, hours=7))
    await apply(db, shop.id, [o2])
    await assert_exact(db, shop.id)

    # Price changed; then warehouse and region changed (Казань disappears from its day).
    o3 = changed(o3, later, price_with_disc=910.1)
    await apply(db, shop.id, [o3])
    await assert_exact(db, shop.id)
    o3 = changed(
        o3, later + timedelta(hours=1), warehouse_name="Электросталь", region_name="Тверь"
    )
    await apply(db, shop.id, [o3])
    await assert_exact(db, shop.id)
    assert (
        await db.fetchone(
            "SELECT 1 FROM rollup_warehouses WHERE shop_id = ? AND warehouse = 'Казань'",
            (shop.id,),
        )
        is None
    )

    # Another product and article for the same srid, and a second article for product 2.
    o4 = changed(o4, later, nm_id=2, supplier_article="ART-2-new")
    await apply(db, shop.id, [o4])
    await assert_exact(db, shop.id)

    # An older copy of a row changes nothing.
    await apply(db, shop.id, [changed(o3, t, price_with_disc=1.0, date=t - timedelta(days=9))])
    await assert_exact(db, shop.id)

    # An FBS order first (no warehouse, region or subject), then its statistics twin an hour
    # later with a warehouse: the row moves hour, and from '' to the warehouse.
    fbs_at = t + timedelta(days=2, hours=1)
    fbs = FbsOrder(
        rid="fbs1",
        order_id=1,
        created_at=fbs_at,
        nm_id=5,
        chrt_id=None,
        article="ART-5",
        price=999.0,
        warehouse_id=None,
    )
    async with db.transaction() as conn:
        await insert_fbs_orders(conn, shop.id, [fbs])
        await refresh_rollups(conn, shop.id, {int(fbs_at.timestamp()) // HOUR * HOUR})
    await assert_exact(db, shop.id)
    twin = order("fbs1", fbs_at + timedelta(hours=1), 999.0, nm_id=5, warehouse="Подольск")
    await apply(db, shop.id, [twin])
    await assert_exact(db, shop.id)


async def test_migration_backfills_the_rollups_from_stored_orders(tmp_path, keyring):
    db = Database(tmp_path / "old.sqlite3")
    await db.open()
    shop = await make_shop(db, keyring, 602)
    rng = random.Random(7)
    base = utc(2026, 10, 1)
    await apply(
        db,
        shop.id,
        [
            order(
                f"m{i}",
                base + timedelta(seconds=rng.randrange(20 * DAY)),
                round(rng.uniform(100, 3000), 2),
                nm_id=rng.randint(1, 6),
                warehouse=f"Склад {rng.randint(1, 4)}",
                region=f"Регион {rng.randint(1, 5)}",
            )
            for i in range(400)
        ],
    )
    want = await expected(db, shop.id)
    try:
        # A database from before the migration: the rollup tables do not exist yet. (Later
        # migrations cannot be undone here, so the script runs as the migration runner runs it.)
        (script,) = [sql for _n, sql in migration_scripts() if "TABLE rollup_products" in sql]
        async with db.transaction() as conn:
            for table in (
                "rollup_products",
                "rollup_product_weeks",
                "rollup_warehouses",
                "rollup_regions",
            ):
                await conn.execute(f"DROP TABLE {table}")
        await db.writer.executescript(f"BEGIN IMMEDIATE;\n{script}\nCOMMIT;")
        got = await stored(db, shop.id)
        for kind in ("products", "product_weeks", "warehouses", "regions"):
            assert got[kind].keys() == want[kind].keys()
            for key, values in want[kind].items():
                assert got[kind][key] == pytest.approx(values)
    finally:
        await db.close()


# -- report numbers through the rollups equal those from raw rows, for random periods ------------


async def raw_product_totals_pair(db, shop_ids, previous, start, end):
    """The per-product query as it was before the daily rollups: one pass over raw orders."""
    marks = ",".join("?" * len(shop_ids))
    ts = lambda moment: int(moment.timestamp())  # noqa: E731
    rows = await db.fetchall(
        "SELECT o.nm_id, o.article, o.subject, COALESCE(MAX(p.title), ''), "
        "o.n, o.total, o.pn, o.ptotal "
        "FROM (SELECT nm_id, MAX(supplier_article) AS article, MAX(subject) AS subject, "
        "      MIN(shop_id) AS shop_id, SUM(CASE WHEN ts >= ?1 THEN 1 ELSE 0 END) AS n, "
        "      SUM(CASE WHEN ts >= ?1 THEN price_with_disc END) AS total, "
        "      SUM(CASE WHEN ts < ?4 THEN 1 ELSE 0 END) AS pn, "
        "      SUM(CASE WHEN ts < ?4 THEN price_with_disc END) AS ptotal "
        f"      FROM orders WHERE shop_id IN ({marks}) AND ts >= ?2 AND ts < ?3 "
        "      GROUP BY nm_id) o "
        "LEFT JOIN products p ON p.nm_id = o.nm_id AND p.shop_id = o.shop_id "
        "GROUP BY o.nm_id, o.article, o.subject, o.n, o.total, o.pn, o.ptotal",
        (ts(start), ts(previous[0]), ts(end), min(ts(previous[1]), ts(start)), *shop_ids),
    )
    current, before = [], []
    for r in rows:
        names = (int(r[0]), str(r[1] or ""), str(r[2] or ""), str(r[3] or ""))
        if r[4]:
            current.append(rollups.ProductTotals(*names, int(r[4]), float(r[5] or 0)))
        if r[6]:
            before.append(rollups.ProductTotals(*names, int(r[6]), float(r[7] or 0)))
    for found in (current, before):
        found.sort(key=lambda p: (-p.orders_sum, -p.orders, p.nm_id))
    return current, before


async def raw_splits(db, shop_ids, start, end):
    marks = ",".join("?" * len(shop_ids))
    rows = await db.fetchall(
        "SELECT warehouse, region, COUNT(*), SUM(price_with_disc) FROM orders "
        f"WHERE shop_id IN ({marks}) AND ts >= ? AND ts < ? GROUP BY warehouse, region",
        (*shop_ids, int(start.timestamp()), int(end.timestamp())),
    )
    sums = ({}, {})
    for r in rows:
        for found, name in zip(sums, (r[0], r[1]), strict=True):
            had = found.setdefault(str(name), [0, 0.0])
            had[0] += r[2]
            had[1] += r[3]
    return tuple(
        sorted(
            (rollups.SplitRow(name, int(n), total) for name, (n, total) in found.items()),
            key=lambda s: (-s.orders_sum, -s.orders, s.name),
        )
        for found in sums
    )


def same(got, want, label):
    """Same names, counts and order; sums equal up to float rounding (summed in another order)."""
    assert len(got) == len(want), label
    for g, w in zip(got, want, strict=True):
        for name in type(w).__dataclass_fields__:
            gv, wv = getattr(g, name), getattr(w, name)
            if isinstance(wv, float):
                assert gv == pytest.approx(wv, rel=1e-9, abs=1e-6), (label, name, g, w)
            else:
                assert gv == wv, (label, name, g, w)


ZONES = [
    ZoneInfo("Asia/Novosibirsk"),  # UTC+7: local midnight at 17:00 UTC
    ZoneInfo("America/New_York"),  # DST ends 2026-11-01 (a 25-hour day), starts 2027-03-14
    ZoneInfo("Asia/Kolkata"),  # UTC+5:30: local midnight inside an UTC hour
    ZoneInfo("America/Santiago"),  # clocks change at local midnight (2027-04-04 00:00 → 23:00)
]


async def test_report_numbers_from_rollups_equal_raw_rows_for_random_periods(db, keyring):
    rng = random.Random(2026)
    a = await make_shop(db, keyring, 603, name="A")
    b = await make_shop(db, keyring, 603, name="B")
    first, span = utc(2026, 9, 1), 240 * DAY
    for shop, titles in ((a, range(1, 7)), (b, range(4, 10))):
        for nm in titles:
            await db.write(
                "INSERT INTO products(shop_id, nm_id, title, updated_at) VALUES (?, ?, ?, 0)",
                (shop.id, nm, f"{shop.name}-title-{nm}"),
            )
    stored_orders = {}
    for shop in (a, b):
        batch = []
        for i in range(900):
            at = first + timedelta(seconds=rng.randrange(span))
            nm = rng.randint(1, 10)
            o = order(
                f"{shop.name}{i}",
                at,
                round(rng.uniform(100, 5000), 2),
                nm_id=nm,
                # Mostly one article per product; now and then another one (renamed).
                article=f"ART-{nm}" if rng.random() < 0.9 else f"ART-{nm}-{rng.randint(1, 3)}",
                warehouse=f"Склад {rng.randint(1, 5)}",
                region=f"Регион {rng.randint(1, 6)}",
                cancelled_at=at + timedelta(hours=rng.randint(1, 48))
                if rng.random() < 0.1
                else None,
            )
            if rng.random() < 0.1:
                o = replace(o, subject="Юбки")
            batch.append(o)
            stored_orders[(shop.id, o.srid)] = o
        for start in range(0, len(batch), 150):
            await apply(db, shop.id, batch[start : start + 150])
    # Later changes to a tenth of the rows, in small pages as the engine sees them.
    keys = rng.sample(sorted(stored_orders), 180)
    for page in range(0, len(keys), 20):
        updates = {}
        for shop_id, srid in keys[page : page + 20]:
            o = stored_orders[(shop_id, srid)]
            bump = o.last_change + timedelta(days=2)
            kind = rng.choice(("move", "price", "place", "product"))
            if kind == "move":
                new = changed(o, bump, date=o.date + timedelta(hours=rng.randint(-40, 40)))
            elif kind == "price":
                new = changed(o, bump, price_with_disc=round(rng.uniform(100, 5000), 2))
            elif kind == "place":
                new = changed(o, bump, warehouse_name="Склад 9", region_name="Регион 9")
            else:
                new = changed(o, bump, nm_id=rng.randint(1, 10))
            stored_orders[(shop_id, srid)] = new
            updates.setdefault(shop_id, []).append(new)
        for shop_id, rows in updates.items():
            await apply(db, shop_id, rows)
    await assert_exact(db, a.id)
    await assert_exact(db, b.id)

    for case in range(150):
        zone = ZONES[case % len(ZONES)]
        shop_ids = rng.choice(([a.id], [b.id], [a.id, b.id]))
        # `now` inside the data (orders after it exist: the partial day at the end is read raw)
        # or after it (none do, as usual: that day comes from the rollup).
        if rng.random() < 0.3:
            now = first + timedelta(seconds=span + rng.randrange(3 * DAY))
        else:
            now = first + timedelta(seconds=rng.randrange(40 * DAY, span))
        today = now.astimezone(zone).date()
        choice = rng.random()
        if choice < 0.5:
            period = parse_period(rng.choice(("today", "yesterday", "week", "month")), today)
        else:
            last = today - timedelta(days=rng.randint(0, 20))
            period = Period("custom", last - timedelta(days=rng.randint(0, 34)), last)
        label = (case, str(zone), period, now, shop_ids)
        data = await load_report(db, shop_ids, period, zone, now)

        products, before = await raw_product_totals_pair(
            db, shop_ids, (data.previous_start, data.previous_end), data.start, data.end
        )
        same(data.products, products, label)
        same(data.falls, biggest_falls(products, before), label)
        top = await rollups.top_products(db, shop_ids, data.start, data.end)
        alone, _none = await raw_product_totals_pair(
            db, shop_ids, (data.start, data.start), data.start, data.end
        )
        same(top, alone[:5], label)
        warehouses, regions = await raw_splits(db, shop_ids, data.start, data.end)
        same(data.warehouses, warehouses, label)
        same(data.regions, regions, label)

        hours = await rollups.hourly(db, shop_ids, data.previous_start, data.end)
        cut = datetime.fromtimestamp(int(data.previous_end.timestamp()) // HOUR * HOUR, UTC)
        for got, want in (
            (data.days, by_local_day(hours, period.day_list(), zone)),
            (
                data.previous_days,
                by_local_day([h for h in hours if h[0] < cut], period.previous().day_list(), zone),
            ),
        ):
            assert [d for d, _ in got] == [d for d, _ in want], label
            for (_d, g), (_w, w) in zip(got, want, strict=True):
                assert (g.orders, g.cancels) == (w.orders, w.cancels), label
                assert g.orders_sum == pytest.approx(w.orders_sum, rel=1e-9, abs=1e-6), label


def test_day_runs_follow_local_day_of_hour_across_clock_changes():
    from bot.reports.metrics import local_day_of_hour, local_day_runs

    # St John's moved its clocks back at 00:01 until 2011: local dates then went backwards
    # (00:00:59 on Nov 7 was followed by 23:01 on Nov 6), the one case the fast path cannot do.
    for zone in [*ZONES, ZoneInfo("Asia/Beirut"), ZoneInfo("America/St_Johns"), ZoneInfo("UTC")]:
        for first in (
            date(2026, 3, 1),
            date(2026, 10, 20),
            date(2027, 3, 25),
            date(2026, 9, 1),
            date(2010, 10, 20),
        ):
            days = [first + timedelta(days=i) for i in range(40)]
            lo = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()) - DAY
            hi = lo + 43 * DAY
            want = {}
            for hour in range(lo, hi, HOUR):
                day = local_day_of_hour(datetime.fromtimestamp(hour, UTC), zone)
                if day in days:
                    want.setdefault(days.index(day), []).append(hour)
            got = {}
            for a, b, i in local_day_runs(days, zone, lo, hi):
                got.setdefault(i, []).extend(range(a, b, HOUR))
            assert got == want, (zone, first)


async def test_wiping_a_shop_leaves_none_of_its_rollups(db, keyring):
    from bot.store.shops import disconnect

    shop_id = (await make_shop(db, keyring, 9101)).id
    await apply(db, shop_id, [order("w-1", utc(2026, 11, 20, 10), 500.0)])
    tables = ("rollup_hours", "rollup_products", "rollup_product_weeks")
    tables += ("rollup_warehouses", "rollup_regions")
    counts = [await db.fetchone(f"SELECT COUNT(*) FROM {t}") for t in tables]
    assert all(c is not None and c[0] > 0 for c in counts)
    await disconnect(db, shop_id, wipe=True)
    for table in tables:
        row = await db.fetchone(f"SELECT COUNT(*) FROM {table} WHERE shop_id = ?", (shop_id,))
        assert row is not None and row[0] == 0, table


async def test_a_sale_wb_re_dates_leaves_its_old_hour(db, keyring):
    from tests.reports.seed import sale, store_rows

    shop = await make_shop(db, keyring, 9102)
    first = sale("S1", utc(2026, 3, 1, 10), 1000, 900)
    await store_rows(db, shop.id, [], [first])
    moved = replace(
        first,
        date=first.date + timedelta(hours=5),
        last_change=first.last_change + timedelta(days=1),
        last_change_raw="2026-03-02T10:00:00",
    )
    await store_rows(db, shop.id, [], [moved])
    row = await db.fetchone("SELECT SUM(buyouts) FROM rollup_hours WHERE shop_id = ?", (shop.id,))
    assert row is not None and row[0] == 1

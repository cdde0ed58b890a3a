"""A known fortnight of one shop, worked out by hand to the kopeck: the week 23.11–29.11.2026
by WB's weekly report, the week 30.11–06.12 an estimate from the statistics sales.

Products: 101 (ART-1) costs 300 ₽, then 350 ₽ from 26.11; 202 (ART-2) costs 100 ₽; 303
(ART-3) has no cost price. УСН 6% of revenue; fixed expenses 1 550 ₽ a month.

Week 1, WB's report (rows below):
- 101: sold 3 (24.11, 27.11 ×2) at 1 000 ₽, WB pays 850 ₽ each; one returned on 28.11;
  logistics 60 + 2 × 60 + 50 back = 230 ₽. Revenue 2 000, commission 300, to be paid 1 470;
  cost 300 + 2 × 350 − 350 = 650; tax 120; profit 700.
- 202: sold 3 on 25.11 at 400 ₽ (pays 320), logistics 3 × 40: revenue 1 200, commission 240,
  to be paid 840, cost 300, tax 72, profit 468.
- 303: sold 1 on 26.11 at 2 000 ₽ (pays 1 700), logistics 80: to be paid 1 620, cost unknown.
- the shop: storage 150 ₽ and a penalty of 200 ₽ on 29.11, a deduction of 70 ₽ on 27.11.
Learned from it: 101 commission 300/2 000 = 15%, logistics 230 ₽ / 4 units moved = 57,50 ₽.

Week 2, estimate (statistics):
- 101: sold 01.12 (pays 850), sold 03.12 (forPay not filled in yet: 15% → 150), returned
  04.12 (pays 850): revenue 1 000, commission 150 + 150 − 150 = 150, logistics 3 × 57,50 =
  172,50, to be paid 677,50, cost 350, tax 60, profit 267,50.
- 202: sold 2 on 02.12 at 400 (pays 320): revenue 800, commission 160, logistics 2 × 40 = 80,
  to be paid 560, cost 200, tax 48, profit 312.
- 303: sold 05.12 at 2 000 (pays 1 700), logistics 80: to be paid 1 620, cost unknown.

The fortnight: 101 profit 967,50; 202 780; the shop's own −420; fixed expenses 8 × 1 550/30 +
6 × 1 550/31 = 713,33; profit 614,17 on revenue 5 000 (margin 12,3%) and cost 1 500 (ROI
40,9%). All products: revenue 9 000, commission 1 450, logistics 762,50, storage 150,
penalties 200, deductions 70, to be paid 6 367,50; tax 300.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from bot.store import Database
from bot.store.costs import NewCost, TaxRegime, save_costs, set_fixed_monthly, set_tax
from bot.store.finance import FinanceEntry, record_page, upsert_rows
from tests.reports.seed import order, sale, store_rows

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
WEEK = (date(2026, 11, 23), date(2026, 11, 29))
FIRST, LAST = WEEK[0], date(2026, 12, 6)
MSK_NOON = time(9, 0, tzinfo=UTC)


def noon(day: date) -> datetime:
    return datetime.combine(day, MSK_NOON)


def nov(n: int) -> date:
    return date(2026, 11, n)


def dec(n: int) -> date:
    return date(2026, 12, n)


_rrd = iter(range(1, 10_000))


def row(nm_id: int, kind: str, day: date, *, quantity: int = 0, **money: str) -> FinanceEntry:
    """One row of the weekly report, money in roubles as WB writes them."""
    doc = {"sale": "Продажа", "return": "Возврат"}.get(kind, "")
    return FinanceEntry(
        rrd_id=next(_rrd),
        report_id=555,
        period="weekly",
        date_from=WEEK[0].isoformat(),
        date_to=WEEK[1].isoformat(),
        rr_date=day.isoformat(),
        kind=kind,
        nm_id=nm_id,
        sa_name=f"ART-{nm_id // 100}" if nm_id else "",
        ts_name="0",
        barcode="",
        doc_type=doc,
        oper=doc or kind,
        bonus_type="",
        quantity=quantity,
        delivery_amount=1 if kind == "logistics_to" else 0,
        return_amount=1 if kind == "logistics_from" else 0,
        srid="",
        order_dt=None,
        sale_dt=None,
        commission_percent=0.0,
        **{k: int(Decimal(v) * 100) for k, v in money.items()},  # type: ignore[arg-type]
    )


def report_rows() -> list[FinanceEntry]:
    sold = {"retail_amount": "1000.00", "for_pay": "850.00"}
    return [
        row(101, "sale", nov(24), quantity=1, **sold),
        row(101, "sale", nov(27), quantity=1, **sold),
        row(101, "sale", nov(27), quantity=1, **sold),
        row(101, "return", nov(28), quantity=1, **sold),
        row(101, "logistics_to", nov(24), delivery_service="60.00"),
        row(101, "logistics_to", nov(27), delivery_service="60.00"),
        row(101, "logistics_to", nov(27), delivery_service="60.00"),
        row(101, "logistics_from", nov(28), delivery_service="50.00"),
        *(
            row(202, "sale", nov(25), quantity=1, retail_amount="400.00", for_pay="320.00")
            for _ in range(3)
        ),
        *(row(202, "logistics_to", nov(25), delivery_service="40.00") for _ in range(3)),
        row(303, "sale", nov(26), quantity=1, retail_amount="2000.00", for_pay="1700.00"),
        row(303, "logistics_to", nov(26), delivery_service="80.00"),
        row(0, "storage", nov(29), paid_storage="150.00"),
        row(0, "penalty", nov(29), penalty="200.00"),
        row(0, "deduction", nov(27), deduction="70.00"),
    ]


def statistics_sales() -> list:  # list[Sale]
    return [
        # Week 1 is WB's report's: these sales must not count twice.
        sale("S-w1", noon(nov(24)), 1000, 850, nm_id=101),
        sale("S-w1b", noon(nov(25)), 400, 320, nm_id=202),
        # Week 2: the estimate.
        sale("S1", noon(dec(1)), 1000, 850, nm_id=101),
        sale("S2", noon(dec(3)), 1000, 0, nm_id=101),
        sale("R1", noon(dec(4)), 1000, 850, nm_id=101),
        sale("S3", noon(dec(2)), 400, 320, nm_id=202),
        sale("S4", noon(dec(2)) + timedelta(minutes=5), 400, 320, nm_id=202),
        sale("S5", noon(dec(5)), 2000, 1700, nm_id=303),
    ]


async def seed_fortnight(db: Database, shop_id: int, owner: int) -> None:
    sales = statistics_sales()
    # Every sale had its order (which names the product: ART-1 for 101).
    orders = [
        order(s.srid, s.date - timedelta(days=1), abs(s.price_with_disc), nm_id=s.nm_id,
              article=f"ART-{s.nm_id // 100}")
        for s in sales
    ]  # fmt: skip
    await store_rows(db, shop_id, orders, sales)
    rows = report_rows()
    async with db.transaction() as conn:
        await upsert_rows(conn, shop_id, rows)
        await record_page(
            conn,
            shop_id,
            "weekly",
            *WEEK,
            rrd_id=rows[-1].rrd_id,
            rows=len(rows),
            complete=True,
            started_at=NOW.timestamp(),
        )
    await save_costs(
        db,
        shop_id,
        [
            NewCost(101, 30_000, nov(1)),
            NewCost(101, 35_000, nov(26)),
            NewCost(202, 10_000, nov(1)),
        ],
        by=owner,
    )
    await set_tax(db, shop_id, TaxRegime.USN_INCOME, 600, by=owner)
    await set_fixed_monthly(db, shop_id, 155_000, by=owner)

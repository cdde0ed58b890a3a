"""Amounts WB fills in late: `finishedPrice`, `priceWithDisc`, `forPay` can be 0 for up to 24 h.
No alert says "0 ₽" (it says the amount is pending), and the stored rows and reports take the
later value; a later 0 never erases a known amount."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.report_data import load_report
from bot.notify.texts import RenderContext, compose
from bot.reports.periods import Period
from bot.reports.text import render_report
from bot.store.outbox import _event
from bot.timeutil import MSK
from tests.lang import EN, RU, nb

pytestmark = pytest.mark.asyncio
MOSCOW = ZoneInfo("Europe/Moscow")


async def baseline_done(rig, shop_id):
    return await rig.scalar(
        "SELECT MIN(baseline_done) FROM polls WHERE shop_id = ? AND method IN ('orders','sales')",
        (shop_id,),
    )


async def alerts(rig, kind):
    rows = await rig.db.fetchall("SELECT * FROM events WHERE kind = ? ORDER BY id", (kind,))
    return [_event(r) for r in rows]


def text(events, gettext, language):
    ctx = RenderContext(user=None, language=language, gettext=gettext, tz=MOSCOW)
    return compose(events, ctx).text


async def test_an_amount_wb_has_not_filled_in_is_pending_in_words_then_reports_use_it(rig):
    shop, sid, _ = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    later = datetime.now(MSK).replace(tzinfo=None) + timedelta(seconds=2)
    order = rig.wb.add_order(sid, date=later, priceWithDisc=0, finishedPrice=0)
    priced = rig.wb.add_order(sid, date=later, priceWithDisc=2490, finishedPrice=2100)
    await rig.run_until(lambda: rig.scalar("SELECT COUNT(*) = 2 FROM events"))

    (single,) = [e for e in await alerts(rig, "order") if e.ref == order["srid"]]
    for gettext, lang, pending in ((EN, "en", "amount pending"), (RU, "ru", "сумма уточняется")):
        alone = text([single], gettext, lang)
        assert pending in alone and "0\u00a0₽" not in alone and " 0 ₽" not in alone
        burst = text(await alerts(rig, "order"), gettext, lang)
        assert pending in burst and nb("2 490 ₽") in burst
    assert "2 490 ₽, some amounts pending" in text(await alerts(rig, "order"), EN, "en").replace(
        "\u00a0", " "
    )
    assert "часть сумм уточняется" in text(await alerts(rig, "order"), RU, "ru")

    # Hours later WB fills the price in: the stored order and the report take it.
    rig.wb.update_order(sid, order["srid"], priceWithDisc=1890, finishedPrice=1600)
    await rig.run_until(
        lambda: rig.scalar("SELECT price_with_disc FROM orders WHERE srid = ?", (order["srid"],))
    )
    now = datetime.now(UTC)
    today = now.astimezone(MOSCOW).date()
    data = await load_report(rig.db, [shop.id], Period("custom", today, today), MOSCOW, now)
    assert (data.current.orders, data.current.orders_sum) == (2, 1890 + 2490)
    report = render_report(data, "Shop", "en", today, EN)
    assert nb("4 380 ₽") in report
    assert await rig.scalar("SELECT SUM(orders_sum) FROM rollup_hours") == 1890 + 2490

    # A copy of the row that says 0 again (WB's boundary row, an older replica) changes nothing.
    rig.wb.update_order(sid, priced["srid"], priceWithDisc=0, finishedPrice=0)
    await rig.run_for(0.3)
    assert (
        await rig.scalar("SELECT price_with_disc FROM orders WHERE srid = ?", (priced["srid"],))
        == 2490
    )


async def test_a_buyout_whose_payout_is_not_known_yet_says_so(rig):
    shop, sid, _ = await rig.connect()
    order = rig.wb.add_order(sid, date=datetime.now(MSK).replace(tzinfo=None) - timedelta(days=1))
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    rig.wb.add_sale(sid, order["srid"], forPay=0, finishedPrice=0, priceWithDisc=0)
    await rig.run_until(lambda: alerts(rig, "buyout"))
    for gettext, lang, pending in ((EN, "en", "amount pending"), (RU, "ru", "сумма уточняется")):
        said = text(await alerts(rig, "buyout"), gettext, lang)
        assert pending in said and "0\u00a0₽" not in said


@pytest.mark.parametrize("rig", [{"amounts_later": 0.5}], indirect=True)
async def test_amounts_wb_fills_in_on_its_own_later_reach_the_stored_rows(rig):
    # The fake serves fresh rows with finishedPrice, priceWithDisc and forPay at 0 and fills
    # them in later with a newer lastChangeDate, as 12-reports.yaml says WB does ("могут
    # временно иметь значение 0 … актуализируются в течение 24 часов").
    shop, sid, _ = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    placed = datetime.now(MSK).replace(tzinfo=None) + timedelta(seconds=2)
    order = rig.wb.add_order(sid, date=placed)
    sale = rig.wb.add_sale(sid, order["srid"], date=placed + timedelta(seconds=1))
    await rig.run_until(lambda: alerts(rig, "order"))
    await rig.run_until(lambda: alerts(rig, "buyout"))
    [told] = await alerts(rig, "order")
    assert "amount pending" in text([told], EN, "en")
    [bought] = await alerts(rig, "buyout")
    assert "сумма уточняется" in text([bought], RU, "ru")

    await rig.run_until(
        lambda: rig.scalar("SELECT for_pay FROM sales WHERE sale_id = ?", (sale["saleID"],))
    )
    await rig.run_until(
        lambda: rig.scalar("SELECT price_with_disc FROM orders WHERE srid = ?", (order["srid"],))
    )
    assert await rig.scalar(
        "SELECT price_with_disc FROM orders WHERE srid = ?", (order["srid"],)
    ) == pytest.approx(order["priceWithDisc"])
    assert await rig.scalar(
        "SELECT for_pay FROM sales WHERE sale_id = ?", (sale["saleID"],)
    ) == pytest.approx(sale["forPay"])
    assert len(await alerts(rig, "order")) == 1 and len(await alerts(rig, "buyout")) == 1

"""Products sold at a loss are alerted once a week each, with their switch; a week WB's report
puts more than 10% off the estimate is explained in the daily summary. The fortnight of
tests/money/seed.py, with ART-2 (202) costing 500 ₽ instead of 100 ₽: it sells at 400 ₽."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from bot.events import SoldAtLoss
from bot.money.alerts import check_losses
from bot.notify.sender import place
from bot.notify.summary import compute_summary, summary_text
from bot.notify.texts import RenderContext
from bot.store.costs import NewCost, save_costs
from bot.store.users import get_user
from tests.alerts.test_checks import alert_texts
from tests.events import event_row
from tests.lang import EN, nb
from tests.money.conftest import press, say
from tests.money.seed import dec, noon, nov, seed_fortnight
from tests.reports.seed import make_shop, sale, store_rows
from tests.users import user

OWNER = 911
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC).timestamp()  # the week 30.11–06.12 is over


async def losing_shop(db, keyring) -> int:
    shop = await make_shop(db, keyring, OWNER, name="Лавка")
    await seed_fortnight(db, shop.id, OWNER)
    await save_costs(db, shop.id, [NewCost(202, 50_000, nov(1))], by=OWNER)
    return shop.id


async def loss_events(db) -> list[tuple[str, dict]]:
    rows = await db.fetchall("SELECT ref, payload FROM events WHERE kind = 'loss' ORDER BY id")
    return [(str(r[0]), json.loads(r[1])) for r in rows]


async def test_a_product_sold_at_a_loss_is_alerted_once_a_week(db, keyring):
    shop_id = await losing_shop(db, keyring)
    assert await check_losses(db, 2, MONDAY) == 1
    [(ref, payload)] = await loss_events(db)
    # 202 over 30.11–06.12: 2 sold at 400 ₽, WB keeps 160 ₽ and 80 ₽ of logistics, 2 × 500 ₽
    # cost, 6% tax 48 ₽: 560 − 1 000 − 48 = −488 ₽. 101 made money; 303 has no cost price.
    assert ref == "202:2026-12-06"
    assert (payload["sold"], payload["revenue"], payload["fees"]) == (2, 80_000, 24_000)
    assert (payload["cost"], payload["tax"], payload["profit"]) == (100_000, 4_800, -48_800)
    # Again the same day, and the next day (its sales still in the week): nothing new.
    assert await check_losses(db, 2, MONDAY) == 0
    assert await check_losses(db, 2, MONDAY + 86_400) == 0
    # A week later, still selling at a loss: told again.
    await store_rows(
        db, shop_id, [], [sale(f"S-late{i}", noon(dec(10)), 400, 320, nm_id=202) for i in (1, 2)]
    )
    assert await check_losses(db, 2, MONDAY + 7 * 86_400) == 1
    assert [ref for ref, _p in await loss_events(db)] == ["202:2026-12-06", "202:2026-12-13"]


async def test_too_few_sales_or_no_cost_price_is_no_alert(db, keyring):
    await losing_shop(db, keyring)
    assert await check_losses(db, 3, MONDAY) == 0  # 202 sold 2
    assert await loss_events(db) == []


async def test_the_loss_alert_reads_in_english_and_russian(db, keyring):
    await losing_shop(db, keyring)
    await check_losses(db, 2, MONDAY)
    texts = {language: (await alert_texts(db, "loss", language))[0] for language in ("en", "ru")}
    assert texts["en"] == nb(
        "📉 <b>Sold at a loss</b> · Лавка\n"
        "<b>Платья</b>\n"
        "Article <code>ART-2</code> · nmId 202\n"
        "30 Nov–6 Dec: sold 2, returned 0; profit −488.00 ₽, −244.00 ₽ per unit sold.\n"
        "Revenue 800.00 ₽ − WB's fees 240.00 ₽ − cost of goods 1 000.00 ₽ − tax 48.00 ₽.\n"
        "Partly an estimate: WB's report for these days has not come yet.\n"
        "Check the price and the cost price; the whole picture: /profit week"
    )
    assert nb("30.11–06.12: продано 2, возвращено 0; прибыль −488,00 ₽") in texts["ru"]


def test_the_loss_switch_stops_the_alert():
    loss = event_row(
        SoldAtLoss.kind, {"nm_id": 202, "first": "2026-11-30", "last": "2026-12-06", "profit": -1}
    )
    now = time.time()
    assert place(loss, user(), now) == ("pending", 0.0)
    assert place(loss, user(alert_loss=False), now) is None


async def test_settings_switch_the_loss_alert(app, tg):
    await say(app, tg, OWNER, "/settings")
    menu = tg.sent(OWNER)[-1].result["message_id"]
    await press(app, tg, OWNER, menu, "set:alert:loss")
    found = await get_user(app.db, OWNER)
    assert found is not None and found.alert_loss is False
    assert "Products sold at a loss" in json.dumps(tg.sent(OWNER)[-1].params, ensure_ascii=False)


async def test_a_week_off_the_estimate_is_explained_in_the_summary(db, keyring):
    """Week 1 (23.11–29.11) by WB's report: 386,33 ₽ (700 + 468 − 420 of the shop's own rows −
    361,67 fixed). The estimate from the statistics, with no earlier report to learn fees
    from, saw one sale of each product: 101 1 000 − 150 − 300 − 60 = 490, 202 400 − 80 − 100 −
    24 = 196, less the same fixed expenses: 324,33 ₽. 62 ₽ apart, 19,1% of the estimate."""
    await losing_shop(db, keyring)
    await save_costs(db, 1, [NewCost(202, 10_000, nov(1))], by=OWNER)  # back to 100 ₽
    owner = await get_user(db, OWNER)
    assert owner is not None
    summary = await compute_summary(db, owner, time.time(), "yesterday")
    [week] = summary.reconciled
    assert (week.first, week.last) == ("2026-11-23", "2026-11-29")
    assert (week.report_profit, week.estimate_profit) == (38_633, 32_433)
    assert [(g.name, g.effect) for g in week.gaps] == [
        ("revenue", 180_000),
        ("cost", -55_000),
        ("logistics", -35_000),
    ]
    ctx = RenderContext(user=None, language="en", gettext=EN, ngettext=EN)
    lines = summary_text(summary, ctx).split("\n")
    assert (
        nb(
            "📒 <b>WB's report for 23 Nov–29 Nov</b> (Лавка): profit 386.33 ₽, the estimate said "
            "324.33 ₽ (+62.00 ₽, +19.1%)."
        )
        in lines
    )
    assert (
        nb(
            "What made the difference: revenue +1 800.00 ₽, cost of goods −550.00 ₽, "
            "logistics −350.00 ₽."
        )
        in lines
    )
    # The next day's summary does not say it again: the report is no longer new.
    later = await compute_summary(db, owner, time.time() + 2 * 86_400, "yesterday")
    assert later.reconciled == ()
    # /summary (today so far) never carries it.
    assert (await compute_summary(db, owner, time.time(), "today")).reconciled == ()

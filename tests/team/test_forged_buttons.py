"""Forged buttons through the real dispatcher: a user sees only the shops they belong to, and a
user with no shop gets a clear answer, never a report, chart or Excel file."""

from __future__ import annotations

import pytest

from tests.reports.seed import make_shop
from tests.team.conftest import press, say

STRANGER = 801
OWNER = 802


@pytest.mark.parametrize(
    "data", ["rep:all:week", "rep:all:20261101-20261115", "stk:all", "rep:1:week", "stk:1"]
)
async def test_a_user_without_shops_gets_no_report_from_a_forged_button(app, tg, data) -> None:
    await make_shop(app.db, app.keyring, OWNER, "Someone's shop")  # shop 1, not the stranger's
    await say(app, tg, STRANGER, "/start")
    message_id = tg.sent(STRANGER)[-1].result["message_id"]

    await press(app, tg, STRANGER, message_id, data)

    assert not tg.calls_of("sendPhoto", STRANGER)
    assert not tg.calls_of("sendDocument", STRANGER)
    seen = tg.texts(STRANGER)[-1] + " ".join(str(a.get("text")) for a in tg.answered.values())
    assert "Someone's shop" not in seen and "All shops" not in seen
    assert "No shop is connected yet" in tg.texts(STRANGER)[-1]  # and how to connect one
    assert len(tg.answered) == 1  # the button stops spinning


async def test_a_forged_button_for_someone_elses_shop_shows_nothing_of_it(app, tg) -> None:
    mine = await make_shop(app.db, app.keyring, STRANGER, "My shop")
    other = await make_shop(app.db, app.keyring, OWNER, "Their shop")
    await say(app, tg, STRANGER, "/start")
    message_id = tg.sent(STRANGER)[-1].result["message_id"]
    sent_before = len(tg.sent(STRANGER))

    for data in (f"rep:{other.id}:week", f"stk:{other.id}", f"rep:{mine.id}{other.id}:week"):
        await press(app, tg, STRANGER, message_id, data)

    assert len(tg.sent(STRANGER)) == sent_before
    assert all("no longer yours" in str(a.get("text")) for a in tg.answered.values())

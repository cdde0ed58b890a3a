"""/members through the real dispatcher: teammates by name, and a big team still fits."""

from __future__ import annotations

from bot.store.shops import create_invite, redeem_invite
from bot.store.users import ensure_user
from tests.reports.seed import make_shop
from tests.team.conftest import say


async def test_a_big_team_is_listed_by_name_within_telegrams_limit(app, tg) -> None:
    owner = 5001
    shop = await make_shop(app.db, app.keyring, owner, "Team shop")
    for n in range(45):
        mate = 6000 + n
        name = f"Teammate number {n:02d} (@mate_{n})"
        await ensure_user(app.db, mate, "en", "Europe/Moscow", name)
        code = await create_invite(app.db, shop.id, owner, 3600)
        assert await redeem_invite(app.db, code, mate) is not None

    await say(app, tg, owner, "/members")

    reply = tg.sent(owner)[-1]
    assert "Teammate number 00 (@mate_0) (member)" in reply.text
    assert "…and 16 more" in reply.text  # the owner and 29 teammates are listed
    assert len(reply.text) <= 4096

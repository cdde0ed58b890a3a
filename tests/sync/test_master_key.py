"""A sealed WB key that does not open is the bot's fault, not the seller's: the shop is not
marked dead and its owner is not told to replace a key that works. A shop an older version
paused that way comes back at the next start, and its owner hears the key works."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from bot.crypto import Keyring, new_key, parse_keys
from bot.events import KeyDead
from bot.masterkey import keyring_at_start
from bot.notify.texts import RENDERERS, RenderContext
from bot.store.outbox import NewEvent, _event, add_events
from bot.store.polls import KEY_UNREADABLE
from tests.sync.conftest import settings_for
from tests.sync.test_engine import baseline_done, count

pytestmark = pytest.mark.asyncio

MASTER = new_key()


@pytest.fixture
def keyring():
    return Keyring(parse_keys(MASTER))


async def test_a_key_that_does_not_open_never_marks_the_shop_dead(rig):
    shop, sid, _ = await rig.connect()
    # The keyring lost the key that sealed this shop's token (another key still works).
    rig.engine.keyring = Keyring([os.urandom(32)])
    await rig.run_for(0.3)
    assert await count(rig, "SELECT state FROM shops WHERE id = ?", (shop.id,)) == "active"
    assert await count(rig, "SELECT COUNT(*) FROM events") == 0
    assert await rig.db.counter("sync_crypto_failures") >= 1
    error = await count(
        rig, "SELECT last_error FROM polls WHERE shop_id = ? AND method = 'orders'", (shop.id,)
    )
    assert error == KEY_UNREADABLE
    assert rig.wb.requests_for(sid) == []
    # Retried later, not spun on: one failure per job within the test.
    jobs = await count(rig, "SELECT COUNT(*) FROM polls WHERE shop_id = ?", (shop.id,))
    assert await rig.db.counter("sync_crypto_failures") <= jobs


async def paused_by_old_version(rig, shop):
    """What the previous version did when the key did not open: dead, owner told."""
    await rig.db.write(
        "UPDATE shops SET state = 'dead', dead_reason = 'unknown', dead_at = 1 WHERE id = ?",
        (shop.id,),
    )
    async with rig.db.transaction() as conn:
        await add_events(
            conn,
            shop.id,
            [NewEvent(KeyDead(reason="unknown"), shop.token_fingerprint)],
            batch=f"{shop.id}:dead",
            catch_up=False,
        )


def seller_reads(rows):
    events = [_event(r) for r in rows]
    ctx = RenderContext(user=None, language="en", gettext=lambda s: s)
    return RENDERERS[events[0].kind](events, ctx).text


async def test_a_shop_paused_over_an_unreadable_key_comes_back_and_the_owner_is_told(
    rig, tmp_path
):
    shop, sid, _ = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    await paused_by_old_version(rig, shop)

    settings = settings_for(tmp_path, master_keys=SecretStr(MASTER))
    await keyring_at_start(settings, rig.db)
    order = rig.wb.add_order(sid)
    await rig.run_until(lambda: count(rig, "SELECT COUNT(*) FROM events WHERE kind = 'order'"))

    row = await rig.db.fetchone("SELECT state, dead_reason FROM shops WHERE id = ?", (shop.id,))
    assert (row["state"], row["dead_reason"]) == ("active", None)
    assert await count(rig, "SELECT ref FROM events WHERE kind = 'order'") == order["srid"]
    # The wrong "key stopped working" is withdrawn (a real revocation later is told again) ...
    assert await count(rig, "SELECT COUNT(*) FROM events WHERE kind = 'token_dead'") == 0
    # ... and the owner reads that no new key is needed.
    back = await rig.db.fetchall("SELECT * FROM events WHERE kind = 'token_back'")
    assert len(back) == 1
    text = seller_reads(back)
    assert "The WB key of «Shop» works again" in text
    assert "No new key is needed" in text


async def test_a_paused_shop_whose_key_wb_did_revoke_stays_dead_without_a_second_alert(
    rig, tmp_path
):
    shop, _, token = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    await paused_by_old_version(rig, shop)
    rig.wb.revoke(token)

    await keyring_at_start(settings_for(tmp_path, master_keys=SecretStr(MASTER)), rig.db)
    await rig.run_until(lambda: count(rig, "SELECT state = 'dead' FROM shops"))
    await rig.run_for(0.2)
    assert await count(rig, "SELECT COUNT(*) FROM events WHERE kind = 'token_dead'") == 1
    assert await count(rig, "SELECT COUNT(*) FROM events WHERE kind = 'token_back'") == 0
    assert await count(rig, "SELECT dead_reason FROM shops") == "revoked"

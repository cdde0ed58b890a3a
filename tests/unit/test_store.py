import os

import pytest

from bot.crypto import CryptoError, Keyring
from bot.store import Database
from bot.store.db import migration_scripts
from bot.store.shops import (
    NewToken,
    connect_shop,
    get_shop,
    mark_dead,
    open_token,
    reseal_all,
    shops_of_user,
)
from bot.store.users import ensure_user, get_user, update_user

CANARY = "eyJhbGciOiJFUzI1NiJ9.eyJjYW5hcnkiOiJ5ZXMifQ.Q0FOQVJZLWNhbmFyeS1DQU5BUlk"


def info(seller="seller-1", name="Shop"):
    return NewToken(seller, name, token_type=1, categories=1 << 5, read_only=True, expires_at=None)


@pytest.mark.sqlite_only
async def test_database_uses_wal_and_foreign_keys(db):
    mode = await db.fetchone("PRAGMA journal_mode")
    assert mode[0] == "wal"
    fk = await db.writer.execute_fetchall("PRAGMA foreign_keys")
    assert next(iter(fk))[0] == 1


async def test_migrations_apply_once(tmp_path):
    for _ in range(2):
        database = Database(tmp_path / "m.sqlite3")
        await database.open()
        rows = await database.fetchall("SELECT version FROM schema_version")
        await database.close()
    assert [r[0] for r in rows] == [number for number, _ in migration_scripts()]


async def test_new_user_gets_defaults_and_keeps_choices(db):
    user = await ensure_user(db, 42, "ru", "Europe/Moscow")
    assert (user.timezone, user.summary_time, user.alert_orders) == (
        "Europe/Moscow",
        "09:00",
        True,
    )
    await update_user(db, 42, language="en", alert_orders=False)
    await ensure_user(db, 42, "de", "Asia/Tokyo")
    user = await get_user(db, 42)
    assert (user.language, user.tg_language, user.alert_orders, user.timezone) == (
        "en",
        "de",
        False,
        "Europe/Moscow",
    )


async def test_canary_token_is_not_in_the_database_file_nor_its_wal(tmp_path):
    path = tmp_path / "canary.sqlite3"
    database = Database(path)
    await database.open()
    ring = Keyring([os.urandom(32)])
    await ensure_user(database, 7, "en", "UTC")
    shop, is_new = await connect_shop(database, ring, 7, info(), CANARY)
    assert is_new
    assert await open_token(database, ring, shop.id) == CANARY
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert CANARY.encode() not in raw
    assert CANARY[:40].encode() not in raw
    await database.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert CANARY.encode() not in raw


async def test_same_seller_again_replaces_the_key_and_keeps_the_shop(db, keyring):
    await ensure_user(db, 7, "en", "UTC")
    first, new1 = await connect_shop(db, keyring, 7, info(), "token-one-xxxxxxxx")
    second, new2 = await connect_shop(db, keyring, 7, info(name="Renamed"), "token-two-xxxxxxx")
    assert (new1, new2) == (True, False)
    assert first.id == second.id and second.name == "Renamed"
    assert await open_token(db, keyring, first.id) == "token-two-xxxxxxx"
    assert len(await shops_of_user(db, 7)) == 1


async def test_a_401_for_a_replaced_key_does_not_kill_the_new_one(db, keyring):
    await ensure_user(db, 7, "en", "UTC")
    old, _ = await connect_shop(db, keyring, 7, info(), "token-one-xxxxxxxx")
    await connect_shop(db, keyring, 7, info(), "token-two-xxxxxxx")  # the seller sent a new key
    # A poll that started with the old key comes back with WB's 401.
    assert not await mark_dead(db, old.id, "withdrawn", old.token_fingerprint)
    assert (await get_shop(db, old.id)).state == "active"
    current = await get_shop(db, old.id)
    assert await mark_dead(db, old.id, "withdrawn", current.token_fingerprint)


async def test_sealed_token_copied_to_another_row_does_not_open(db, keyring, tmp_path):
    await ensure_user(db, 7, "en", "UTC")
    a, _ = await connect_shop(db, keyring, 7, info("seller-a"), "token-a-xxxxxxxxx")
    b, _ = await connect_shop(db, keyring, 7, info("seller-b"), "token-b-xxxxxxxxx")
    await db.write(
        "UPDATE shops SET token_nonce = (SELECT token_nonce FROM shops WHERE id = ?), "
        "token_sealed = (SELECT token_sealed FROM shops WHERE id = ?) WHERE id = ?",
        (a.id, a.id, b.id),
    )
    with pytest.raises(CryptoError):
        await open_token(db, keyring, b.id)


async def test_rotate_keys_reseals_every_row_under_the_newest_key(db):
    old_key, new_key = os.urandom(32), os.urandom(32)
    await ensure_user(db, 7, "en", "UTC")
    shop, _ = await connect_shop(db, Keyring([old_key]), 7, info(), "token-rotate-xxxx")
    both = Keyring([new_key, old_key])
    assert await reseal_all(db, both) == 1
    rows = await db.fetchall("SELECT token_key_id FROM shops")
    assert [r[0] for r in rows] == [both.primary_id]
    assert await open_token(db, Keyring([new_key]), shop.id) == "token-rotate-xxxx"

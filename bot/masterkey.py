"""The master keys must open the WB tokens sealed in the database, checked at start and by
`python -m bot check-config`.

A lost key file must stop the bot, not be replaced: a new key opens none of the sealed tokens,
and every shop would look as if its WB key had been revoked.
"""

from __future__ import annotations

import logging

from bot.config import StorageSettings
from bot.crypto import Keyring, MasterKeyError, key_file, load_keyring
from bot.store import Database
from bot.store.shops import SealedCheck, check_sealed, count_sealed, recheck_crypto_dead

log = logging.getLogger(__name__)

NOTHING_SEALED = SealedCheck(0, 0, ())


async def verified_keyring(
    settings: StorageSettings, db: Database | None, *, create: bool = True
) -> tuple[Keyring | None, SealedCheck]:
    """The keyring, or None when there is no key yet and ``create`` is off (check-config).

    Raises MasterKeyError (one line, naming MASTER_KEYS or the file) when the keys are missing,
    unreadable, or open none of the sealed tokens. A key is generated only while nothing is
    sealed.
    """
    master = settings.master_keys.get_secret_value() if settings.master_keys else None
    path = key_file(settings.data_dir)
    sealed = await count_sealed(db) if db is not None else 0
    if not master and not path.exists():
        if sealed:
            raise MasterKeyError(
                f"no master key: {path} is missing and MASTER_KEYS is not set, but {sealed} WB "
                "token(s) in the database are sealed; restore that file from a backup or set "
                "MASTER_KEYS (a new key would open none of them, so none is made)"
            )
        if not create:
            return None, NOTHING_SEALED
    keyring = load_keyring(master, settings.data_dir, create=create and sealed == 0)
    if not sealed or db is None:
        return keyring, NOTHING_SEALED
    check = await check_sealed(db, keyring)
    source = "MASTER_KEYS" if master else f"the master key file {path}"
    if not check.opened:
        raise MasterKeyError(
            f"{source} opens none of the {sealed} sealed WB token(s) in the database (sealed "
            f"under key id {', '.join(check.missing_key_ids)}; configured: "
            f"{', '.join(keyring.key_ids)}); restore the right key file or put that key in "
            "MASTER_KEYS"
        )
    return keyring, check


async def check_existing_database(settings: StorageSettings) -> None:
    """Raises MasterKeyError when a database exists and no configured key opens its sealed
    tokens; makes no key and no database (the start runs it before it waits for Telegram)."""
    if not settings.has_database():
        return
    db = settings.database()
    await db.open()
    try:
        await verified_keyring(settings, db, create=False)
    finally:
        await db.close()


async def keyring_at_start(settings: StorageSettings, db: Database) -> Keyring:
    """The verified keyring; shops that an older version paused over an unreadable key, and
    whose key opens now, are polled again."""
    keyring, check = await verified_keyring(settings, db)
    if keyring is None:  # create=True always gives one; this keeps the type honest
        raise MasterKeyError("no master key")
    if check.missing_key_ids:
        log.warning(
            "%d of %d sealed WB token(s) do not open (key id %s is not configured); those "
            "shops wait until the key is back",
            check.sealed - check.opened,
            check.sealed,
            ", ".join(check.missing_key_ids),
        )
    revived = await recheck_crypto_dead(db, keyring)
    if revived:
        log.info("%d shop(s) paused over an unreadable key are polled again", revived)
    return keyring

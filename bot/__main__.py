"""`python -m bot`: run the bot. `python -m bot worker`: one more process polling WB and
sending, without Telegram updates (any number of them beside one `python -m bot`, on one
database). Operators' sub-commands: check-config, rotate-keys, health, compile-locales, new-key,
demo, migrate-to-postgres."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from bot.config import Settings, StorageSettings, describe_errors

if TYPE_CHECKING:  # the HEALTHCHECK runs every 30 s: it imports only the settings
    from bot.store import Database

EXIT_CONFIG = 2
S = TypeVar("S", bound=StorageSettings)


def load_settings() -> Settings:
    return settings_of(Settings)


def settings_of(kind: type[S]) -> S:
    try:
        return kind()
    except ValidationError as exc:
        print(f"wbpulse: configuration error: {describe_errors(exc)}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def fail(message: str) -> SystemExit:
    """An operator's error: one line on stderr, exit 2, no traceback."""
    print(f"wbpulse: {message}", file=sys.stderr)
    return SystemExit(EXIT_CONFIG)


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    role = str(getattr(args, "role", "all"))
    from bot.app import TelegramRejected, run
    from bot.crypto import MasterKeyError
    from bot.logs import setup_logging

    mask = setup_logging(settings.log_level, [settings.bot_token.get_secret_value()])
    try:
        asyncio.run(run(settings, mask, role))
    except (MasterKeyError, TelegramRejected) as exc:
        raise fail(str(exc)) from None
    return 0


async def _open_db_if_any(settings: StorageSettings) -> Database | None:
    """The database when it exists; check-config and rotate-keys never create one."""

    if not settings.has_database():
        return None
    db = settings.database()
    await db.open()
    return db


def cmd_check_config(_: argparse.Namespace) -> int:
    settings = load_settings()
    from bot.crypto import MasterKeyError
    from bot.masterkey import verified_keyring

    async def check() -> str:
        db = await _open_db_if_any(settings)
        try:
            keyring, sealed = await verified_keyring(settings, db, create=False)
        finally:
            if db is not None:
                await db.close()
        if keyring is None:
            return "master key: none yet, one is made at first start"
        source = "MASTER_KEYS" if settings.master_keys else "master.key"
        opens = f"opens {sealed.opened} of {sealed.sealed} sealed WB token(s)"
        return f"master key from {source} {opens}"

    try:
        keys = asyncio.run(check())
    except MasterKeyError as exc:
        raise fail(str(exc)) from None
    print(
        f"ok: data in {settings.data_dir}, Telegram at {settings.telegram_api_url}, "
        f"WB at {settings.wb_api_url_template}, rate scale {settings.wb_rate_scale}, {keys}"
    )
    return 0


def cmd_rotate_keys(_: argparse.Namespace) -> int:
    settings = settings_of(StorageSettings)
    from bot.crypto import CryptoError, MasterKeyError
    from bot.masterkey import verified_keyring
    from bot.store.shops import reseal_all

    async def rotate() -> tuple[int, str]:
        db = await _open_db_if_any(settings)
        if db is None:
            return 0, "-"
        try:
            keyring, _ = await verified_keyring(settings, db, create=False)
            if keyring is None:
                return 0, "-"
            return await reseal_all(db, keyring), keyring.primary_id
        finally:
            await db.close()

    try:
        count, key_id = asyncio.run(rotate())
    except MasterKeyError as exc:
        raise fail(str(exc)) from None
    except CryptoError:
        raise fail(
            "a sealed WB token does not open with MASTER_KEYS or the key file, so nothing was "
            "re-sealed: keep every old key in MASTER_KEYS until rotate-keys succeeds"
        ) from None
    print(f"re-sealed {count} token(s) under key {key_id}")
    return 0


def cmd_migrate_to_postgres(args: argparse.Namespace) -> int:
    """Copies the SQLite store (DATA_DIR/wbpulse.sqlite3, or DATABASE_URL=sqlite:///...) into
    an empty PostgreSQL database; the SQLite file is left as it was."""
    settings = settings_of(StorageSettings)
    url = str(args.url).strip()
    if not url.startswith(("postgresql://", "postgres://")):
        raise fail("migrate-to-postgres takes a postgresql://user:password@host:port/db URL")
    if not settings.db_path.exists():
        raise fail(f"no SQLite database at {settings.db_path} to copy")
    from bot.store import Database
    from bot.store.copy import TargetNotEmpty, migrate_to_postgres

    try:
        copied = asyncio.run(migrate_to_postgres(Database(settings.db_path), url))
    except TargetNotEmpty as exc:
        raise fail(f"{exc}: copy into an empty database") from None
    except OSError as exc:
        raise fail(f"cannot reach PostgreSQL: {exc.strerror or type(exc).__name__}") from None
    for table, count in copied.items():
        print(f"{table}: {count}")
    print(f"copied {sum(copied.values())} row(s) in {len(copied)} table(s) to PostgreSQL")
    return 0


def cmd_new_key(_: argparse.Namespace) -> int:
    from bot.crypto import new_key

    print(new_key())
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """For the Docker HEALTHCHECK: the running bot refreshes DATA_DIR/heartbeat."""
    settings = settings_of(StorageSettings)
    path = settings.heartbeat_path
    try:
        age = time.time() - float(path.read_text().strip())
    except (OSError, ValueError):
        print("unhealthy: no heartbeat", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"unhealthy: last heartbeat {age:.0f}s ago", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {age:.0f}s ago")
    return 0


def cmd_compile_locales(_: argparse.Namespace) -> int:
    from bot.i18n import compile_catalogues

    built = compile_catalogues()
    print(f"compiled {len(built)} catalogue(s)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """A seller's first hour against local fakes: no token, no internet (see bot/demo/)."""
    from bot.demo import run_demo

    return run_demo(args.out, args.lang)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="WB Pulse Telegram bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)").set_defaults(func=cmd_run)
    sub.add_parser(
        "worker", help="poll WB and send alerts beside a running bot, without Telegram updates"
    ).set_defaults(func=cmd_run, role="worker")
    sub.add_parser("check-config", help="validate settings").set_defaults(func=cmd_check_config)
    sub.add_parser(
        "rotate-keys", help="re-seal WB tokens under the first of MASTER_KEYS"
    ).set_defaults(func=cmd_rotate_keys)
    sub.add_parser("new-key", help="print a new master key").set_defaults(func=cmd_new_key)
    to_pg = sub.add_parser(
        "migrate-to-postgres", help="copy the SQLite database into an empty PostgreSQL one"
    )
    to_pg.add_argument("url", help="postgresql://user:password@host:port/database")
    to_pg.set_defaults(func=cmd_migrate_to_postgres)
    health = sub.add_parser("health", help="exit 0 if the running bot is alive")
    health.add_argument("--max-age", type=float, default=60.0)
    health.set_defaults(func=cmd_health)
    sub.add_parser("compile-locales", help="build .mo catalogues").set_defaults(
        func=cmd_compile_locales
    )
    demo = sub.add_parser("demo", help="play a seller's first hour against local fakes")
    demo.add_argument("--out", type=Path, default=Path("demo-output"), help="folder for files")
    demo.add_argument(
        "--lang", choices=("ru", "en"), help="the seller's language (default: the system locale's)"
    )
    demo.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    func = getattr(args, "func", cmd_run)
    result: int = func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

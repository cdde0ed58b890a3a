"""Which store DATABASE_URL names: SQLite (bot/store/db.py) or PostgreSQL (bot/store/pg.py)."""

from __future__ import annotations

from pathlib import Path

from bot.store.db import Database


def open_database(url: str | None, data_dir: Path) -> Database:
    """The store DATABASE_URL names (not yet open): unset or `sqlite:///path` is SQLite (unset:
    DATA_DIR/wbpulse.sqlite3, as before the setting existed); `postgresql://...` is PostgreSQL."""
    if not url:
        return Database(data_dir / "wbpulse.sqlite3")
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":  # sqlite:///relative/path or sqlite:////absolute/path
        return Database(Path(rest.removeprefix("/")))
    if scheme in ("postgresql", "postgres"):
        from bot.store.pg import PgDatabase  # asyncpg loads only where PostgreSQL is used

        return PgDatabase(url)
    raise ValueError("DATABASE_URL must start with sqlite:/// or postgresql://")

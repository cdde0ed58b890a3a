"""aiogram's FSM storage on the project's database: a conversation survives a restart, and
goes on in whichever process takes the next update (it is read through the `Database` API, so on
SQLite and PostgreSQL alike)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from bot.store.db import Database

EMPTY = "{}"


class KeyInStateData(ValueError):
    """FSM data is stored as it is: a WB key must never go into it."""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


class DatabaseStorage(BaseStorage):
    """One row per conversation; a row with no state and no data is deleted. Data holding a
    string that `is_key` takes for a WB key is refused (the app passes
    bot.wb.token.looks_like_token: the store knows nothing of WB's keys)."""

    def __init__(self, db: Database, is_key: Callable[[str], bool]) -> None:
        self.db = db
        self.is_key = is_key
        self.keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._put(key, "state", state.state if isinstance(state, State) else state)

    async def _put(self, key: StorageKey, column: Literal["state", "data"], value: Any) -> None:
        name = self.keys.build(key)
        async with self.db.transaction() as conn:
            await conn.execute(
                f"INSERT INTO fsm(key, {column}, updated_at) VALUES (?, ?, ?) "
                f"ON CONFLICT(key) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (name, value, time.time()),
            )
            await conn.execute(
                "DELETE FROM fsm WHERE key = ? AND state IS NULL AND data = ?", (name, EMPTY)
            )

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self.db.fetchone(
            "SELECT state FROM fsm WHERE key = ?", (self.keys.build(key),)
        )
        return None if row is None else row[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            raise DataNotDictLikeError(
                f"Data must be a dict or dict-like object, got {type(data).__name__}"
            )
        if any(self.is_key(s) for s in _strings(data)):
            raise KeyInStateData("a WB key must not be kept in conversation data")
        await self._put(key, "data", json.dumps(data, ensure_ascii=False, sort_keys=True))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        sql = "SELECT data FROM fsm WHERE key = ?"
        row = await self.db.fetchone(sql, (self.keys.build(key),))
        if row is None:
            return {}
        data = json.loads(row[0])
        return data if isinstance(data, dict) else {}

    async def close(self) -> None:
        """The database belongs to the app, which closes it."""


#: The name it had while the store was SQLite only.
SQLiteStorage = DatabaseStorage

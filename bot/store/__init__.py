"""Persistence: the only place with SQL."""

from bot.store.db import Database

__all__ = ["Database"]

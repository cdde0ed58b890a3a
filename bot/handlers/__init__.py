"""aiogram routers, one per feature."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import start


def get_routers() -> list[Router]:
    return [start.router]

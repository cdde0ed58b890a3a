"""aiogram routers, one per feature."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    chats,
    connect,
    costs,
    export,
    fallback,
    keys,
    mute,
    profit,
    report,
    reviews,
    settings,
    shops,
    start,
    status,
    stock,
    summary,
)


def get_routers() -> list[Router]:
    return [
        keys.router,  # first: no other handler ever sees a message carrying a WB key
        connect.router,  # before start: /start <invite code> is in shops.router
        shops.router,
        status.router,
        start.router,
        report.router,
        profit.router,
        export.router,
        stock.router,
        chats.router,
        settings.router,
        mute.router,
        costs.router,
        reviews.router,
        summary.router,
        fallback.router,  # last: whatever nobody else understood
    ]

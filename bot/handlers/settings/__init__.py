"""/settings: the main menu (`main`, laid out by `menu`) and one module per submenu.

A new submenu is one module that calls `menu.entry()` for its button and its line in the menu
text, and one name in `SUBMENUS`."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.settings import (
    alerts,
    horizon,
    language,
    main,
    money,
    photos,
    quiet,
    reviews,
    summary_time,
    zone,
)

SUBMENUS = (language, zone, summary_time, alerts, horizon, quiet, photos, reviews, money)

router = Router(name="settings")
router.include_routers(main.router, *(submenu.router for submenu in SUBMENUS))

"""The bot's real catalogues as plain translate functions, for renderers tested in a language."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from aiogram.utils.i18n import I18n

from bot.i18n import make_i18n


@cache
def _i18n() -> I18n:
    return make_i18n()


def translator(language: str) -> Callable[..., str]:
    """`_(text)` or `_(singular, plural, n)` in `language`, as the handlers' `_` behaves."""

    def translate(singular: str, plural: str | None = None, n: int = 1) -> str:
        return _i18n().gettext(singular, plural, n, locale=language)

    return translate


RU = translator("ru")
EN = translator("en")


def nb(text: str) -> str:
    """The text as the bot writes it: "12 345 ₽" with no-break spaces inside the number and
    before the rouble sign, so it never wraps."""
    return re.sub(r"(?<=\d) (?=\d{3}(?!\d)|₽)", "\u00a0", text)

"""Languages: gettext catalogues in `locales/`, compiled at start when missing or stale in a
checkout, shipped compiled in an installed package (see setup.py).

The user's stored choice wins; otherwise Telegram's language_code decides (ru, uk, be, kk read
Russian best; everyone else gets English).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware
from aiogram.utils.i18n.context import get_i18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
RUSSIAN_READERS = {"ru", "uk", "be", "kk"}
DOMAIN = "messages"


def N_(text: str) -> str:  # the gettext convention for "translate later"
    """Marks a text for extraction where it is translated later, in the reader's language."""
    return text


PACKAGED = Path(__file__).resolve().parent / "locales"  # an installed package: compiled at build
CHECKOUT = Path(__file__).resolve().parent.parent / "locales"  # the catalogues as edited


def locales_dir() -> Path:
    """The installed package's compiled catalogues, else the checkout's (never the cwd's)."""
    for candidate, name in ((PACKAGED, "mo"), (CHECKOUT, "po")):
        if (candidate / "ru" / "LC_MESSAGES" / f"{DOMAIN}.{name}").exists():
            return candidate
    raise FileNotFoundError(f"the message catalogues are missing (looked in {PACKAGED})")


def compile_catalogues(root: Path | None = None) -> list[Path]:
    """Builds every .mo that is missing or older than its .po; returns the ones built."""
    root = root or locales_dir()
    built = []
    for po_path in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo_path)
        built.append(mo_path)
    return built


def current_language() -> str:
    """The language of the update being handled (set by the i18n middleware); the default
    outside a handler."""
    try:
        return get_i18n().current_locale
    except LookupError:
        return DEFAULT_LANGUAGE


def language_for(stored: str | None, telegram_code: str | None) -> str:
    if stored in LANGUAGES:
        return stored
    if telegram_code and telegram_code.split("-")[0].lower() in RUSSIAN_READERS:
        return "ru"
    return DEFAULT_LANGUAGE


def make_i18n() -> I18n:
    root = locales_dir()
    if root == CHECKOUT:  # an installed package ships its catalogues compiled
        try:
            compile_catalogues(root)
        except OSError as exc:
            log.warning("could not compile catalogues: %s", exc)
    return I18n(path=root, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


class UserLocale(I18nMiddleware):
    """Picks the language from the user row the user middleware put into the handler data."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        stored = getattr(user, "language", None)
        tg_user = data.get("event_from_user")
        code = getattr(tg_user, "language_code", None)
        return language_for(stored, code)

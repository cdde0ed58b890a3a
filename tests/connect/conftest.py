"""The e2e fixtures (tg, wb, bot) for the /connect tests."""

from tests.e2e.conftest import bot, tg, wb

__all__ = ["bot", "tg", "wb"]

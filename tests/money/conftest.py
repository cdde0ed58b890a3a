"""Money handler tests use the shared dispatcher fixtures."""

from tests.dispatch import app, press, say, tg

__all__ = ["app", "press", "say", "tg"]

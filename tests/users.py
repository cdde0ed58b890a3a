"""A user row as the store returns it, for tests that need one without a database."""

from __future__ import annotations

from bot.store.users import User


def user(**values: object) -> User:
    """Every alert on, Moscow, summary at 09:00, no quiet hours; ``values`` override."""
    base: dict[str, object] = dict(
        id=1,
        language=None,
        tg_language="en",
        timezone="Europe/Moscow",
        summary_time="09:00",
        alert_orders=True,
        alert_cancels=True,
        alert_buyouts=True,
        alert_returns=True,
        alert_stock=True,
        alert_summary=True,
        photos=True,
        stock_horizon_days=7,
        quiet_start=None,
        quiet_end=None,
        last_summary_day=None,
        created_at=0.0,
    )
    return User(**{**base, **values})  # type: ignore[arg-type]

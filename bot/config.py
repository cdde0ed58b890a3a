"""Settings from the environment or `.env`; the only module that reads os.environ."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from bot.store.db import Database

BOT_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")


class StorageSettings(BaseSettings):
    """Where the data and the master keys are: all that `health` and `rotate-keys` need (they
    run without BOT_TOKEN, e.g. as the image's HEALTHCHECK)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Path("./data")
    master_keys: SecretStr | None = None
    # Unset: SQLite in DATA_DIR/wbpulse.sqlite3. `sqlite:///path` (relative) or `sqlite:////path`
    # (absolute): SQLite there. `postgresql://user:password@host:port/db`: PostgreSQL. A secret:
    # it may hold a password.
    database_url: SecretStr | None = None

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: SecretStr | None) -> SecretStr | None:
        url = value.get_secret_value().strip() if value is not None else ""
        if not url:
            return None
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must start with sqlite:/// or postgresql://")
        return SecretStr(url)

    @property
    def postgres(self) -> bool:
        return self.database_url is not None and not self._url.startswith("sqlite:")

    @property
    def _url(self) -> str:
        return self.database_url.get_secret_value() if self.database_url is not None else ""

    @property
    def db_path(self) -> Path:
        """The SQLite file (with PostgreSQL: where it would be, unused)."""
        if self._url.startswith("sqlite:///"):
            return Path(self._url.removeprefix("sqlite:///"))
        return self.data_dir / "wbpulse.sqlite3"

    def database(self) -> Database:
        """The store DATABASE_URL names, not yet open."""
        from bot.store.engine import open_database

        return open_database(self._url or None, self.data_dir)

    def has_database(self) -> bool:
        """Whether there may be data already: the SQLite file exists, or PostgreSQL is named
        (its database exists by the operator's hand)."""
        return self.postgres or self.db_path.exists()

    @property
    def heartbeat_path(self) -> Path:
        """The running bot rewrites it every few seconds; `health` reads it."""
        return self.data_dir / "heartbeat"


#: A user's zone until they choose one, and the zone of a reader the bot knows none for.
DEFAULT_TIMEZONE = "Europe/Moscow"


class Settings(StorageSettings):
    """The operator contract of DESIGN.md: every variable, one typed object."""

    bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    wb_api_url_template: str = "https://{host}.wildberries.ru"
    wb_rate_scale: float = Field(default=1.0, gt=0)
    default_timezone: str = DEFAULT_TIMEZONE
    log_level: str = "INFO"
    #: A product is alerted as sold at a loss with at least this many sales in its week.
    loss_min_sales: int = Field(default=5, gt=0)
    #: How long a process's claim on a poll, a delivery, a periodic run or a role lasts without
    #: renewal: after a worker dies, another takes its work over within this (bot/store/leases.py).
    lease_seconds: float = Field(default=60.0, ge=3)

    # Not in the operator contract: knobs the tests and benchmarks turn.
    tick_seconds: float = Field(default=1.0, gt=0)
    telegram_retry_seconds: float = Field(default=1.0, gt=0)  # first back-off at start
    # Telegram allows about 30 msg/s per bot. The sender drains at ~95% of this cap (per-chat
    # spacing, its passes), so 29 gives the >= 27 msg/s of issue 16 with 0 violations against the
    # fake's 30/s (bench_alerts); repeated 429s still stop it for a while (throttle.STORM_COUNT).
    send_rate_per_second: float = Field(default=29.0, gt=0)
    sync_concurrency: int = Field(default=32, gt=0)

    @field_validator("bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        if not BOT_TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("BOT_TOKEN does not look like a Telegram bot token (123456:ABC…)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("wb_api_url_template")
    @classmethod
    def _template_has_host(cls, value: str) -> str:
        if "{host}" not in value:
            raise ValueError("WB_API_URL_TEMPLATE must contain {host}")
        return value.rstrip("/")

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not a known time zone") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @property
    def wb_sandbox(self) -> bool:
        """WB's sandbox hosts accept Test tokens; production hosts do not."""
        return "-sandbox" in self.wb_api_url_template


def describe_errors(exc: Exception) -> str:
    """One line per invalid setting, without echoing any value (it may be a secret)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for err in errors():
        name = ".".join(str(p) for p in err.get("loc", ())).upper() or "settings"
        message = "is required" if err.get("type") == "missing" else err.get("msg", "invalid")
        parts.append(f"{name} {message}")
    return "; ".join(parts)

"""Logging with secrets masked: the bot token rides in Bot API URLs, WB keys are JWTs.

One filter sits on every handler of the root logger, so records from aiohttp, aiogram and
APScheduler pass through it too, including the text of exceptions they carry.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from bot.wb.token import find_jwt

BOT_TOKEN_PATTERN = re.compile(r"\d{6,20}:[A-Za-z0-9_-]{30,}")
JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
MASK = "***"
WITHHELD = "*** (a log record withheld: it held a WB key in disguise)"


class SecretMask(logging.Filter):
    """Rewrites a record so that no known secret or secret-shaped text leaves the process."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 8]

    def add_secret(self, secret: str) -> None:
        if len(secret) >= 8 and secret not in self._secrets:
            self._secrets.append(secret)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        text = BOT_TOKEN_PATTERN.sub(MASK, text)
        text = JWT_PATTERN.sub(MASK, text)
        if find_jwt(text) is not None:
            # A key laced with invisible characters or split over lines (a user's text quoted
            # in an error) cannot be cut out reliably: none of the record leaves the process.
            return WITHHELD
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            formatter = logging.Formatter()
            message = message + "\n" + formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.stack_info:
            message = message + "\n" + record.stack_info
            record.stack_info = None
        record.msg = self.mask(message)
        record.args = None
        record.exc_text = None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> SecretMask:
    mask = SecretMask(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(mask)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Request logs would carry URLs (and with them the bot token); keep them quiet.
    for name in ("aiohttp.access", "aiohttp.client", "apscheduler.executors.default"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return mask

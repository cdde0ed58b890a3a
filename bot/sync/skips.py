"""Rows WB sent that did not parse: each flow counts them (`wb_rows_skipped_<name>`)
and logs why, in the transaction that stores the rows that did."""

from __future__ import annotations

import logging
from typing import Any

from bot.store.db import Conn, bump
from bot.wb.models import Parsed

log = logging.getLogger(__name__)


async def count_skips(conn: Conn, shop_id: int, name: str, parsed: Parsed[Any]) -> None:
    await bump(conn, f"wb_rows_skipped_{name}", parsed.skipped)
    if parsed.skipped:
        log.warning(
            "shop %s %s: skipped %d bad rows (%s)",
            shop_id,
            name,
            parsed.skipped,
            dict(parsed.reasons),
        )

"""The Excel files of /report and /stock (openpyxl, write-only mode: fast and small in memory;
the caller runs them in a thread). Numbers are stored as numbers and days as dates, so the
seller can sum and filter them."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, tzinfo

from openpyxl import Workbook

from bot.reports.metrics import ReportData
from bot.reports.stock import StockLine
from bot.store.reports import OrderRow

#: More rows than this are not put into the "orders" sheet (the caption says so): openpyxl (with
#: lxml) writes about 8,000 rows a second, and a seller waits for the file.
RAW_ORDERS_LIMIT = 50_000


def file_name(shop: str, first: date, last: date) -> str:
    """wbpulse_<shop>_<from>_<to>.xlsx, the shop name reduced to safe characters."""
    slug = re.sub(r"[^\w-]+", "-", shop, flags=re.UNICODE).strip("-")[:40] or "shop"
    return f"wbpulse_{slug}_{first.isoformat()}_{last.isoformat()}.xlsx"


def render_report_xlsx(
    data: ReportData, orders: Sequence[OrderRow], zone: tzinfo, headers: dict[str, str]
) -> bytes:
    """Sheets: per day, per product, orders (raw). `headers` maps column keys to
    translated titles (the keys themselves are used when missing)."""

    def h(*keys: str) -> list[str]:
        return [headers.get(k, k) for k in keys]

    wb = Workbook(write_only=True)
    days = wb.create_sheet(headers.get("sheet_days", "days"))
    days.append(
        h(
            "day", "orders", "orders_sum", "cancels", "cancels_sum", "buyouts", "buyouts_sum",
            "returns", "returns_sum", "for_pay",
        )
    )  # fmt: skip
    for day, t in data.days:
        days.append(
            [
                day, t.orders, t.orders_sum, t.cancels, t.cancels_sum, t.buyouts,
                t.buyouts_sum, t.returns, t.returns_sum, t.for_pay,
            ]
        )  # fmt: skip
    products = wb.create_sheet(headers.get("sheet_products", "products"))
    products.append(h("nm_id", "article", "subject", "title", "orders", "orders_sum"))
    for p in data.products:
        products.append([p.nm_id, p.supplier_article, p.subject, p.title, p.orders, p.orders_sum])
    raw = wb.create_sheet(headers.get("sheet_orders", "orders"))
    raw.append(
        h(
            "time", "nm_id", "article", "subject", "size", "warehouse", "region", "price",
            "cancelled", "srid",
        )
    )  # fmt: skip
    for o in orders[:RAW_ORDERS_LIMIT]:
        raw.append(
            [
                # Excel has no time zones: local wall time, naive.
                o.ts.astimezone(zone).replace(tzinfo=None),
                o.nm_id, o.supplier_article, o.subject, o.tech_size, o.warehouse, o.region,
                o.price_with_disc, int(o.is_cancel), o.srid,
            ]
        )  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render_stock_xlsx(lines: Sequence[StockLine], headers: dict[str, str]) -> bytes:
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(headers.get("sheet_stock", "stock"))
    keys = ("nm_id", "article", "subject", "warehouse", "quantity", "orders_14d", "cover_days")
    sheet.append([headers.get(k, k) for k in keys])
    for s in lines:
        cover = round(s.cover, 1) if s.cover is not None else None
        sheet.append(
            [s.nm_id, s.vendor_code, s.subject, s.warehouse, s.quantity, s.orders_14d, cover]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

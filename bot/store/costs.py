"""Cost prices and tax settings, the seller's side of the money view.

A cost price belongs to a product (and optionally one size of it) from the day it takes effect;
setting a new one adds a row, so a past period keeps the cost it had. Money is in whole kopecks
throughout, so sums are exact. Before a product's first cost takes effect that first cost
applies: sellers enter their costs after they have started selling, and a report on last month
should not count the goods as free.

Tax is one regime and rate per shop (`MoneySettings`), with optional fixed monthly expenses.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from bot.store.db import Database

#: A size as WB writes it for a product without sizes ("0"), or none given: every size.
ALL_SIZES = ""


def size_key(size: str | None) -> str:
    """The stored size: WB's techSize "0" and an empty size both mean every size."""
    cleaned = (size or "").strip()
    return ALL_SIZES if cleaned in ("", "0") else cleaned


@dataclass(frozen=True)
class NewCost:
    """A cost price to store: ``size`` "" (or None) is every size of the product."""

    nm_id: int
    kopecks: int
    effective: date
    size: str | None = None


@dataclass(frozen=True)
class KnownProduct:
    """A product the bot has seen for a shop: in its cards, its stock or its orders."""

    nm_id: int
    article: str
    title: str


# ------------------------------------------------------------------ known products


async def known_products(db: Database, shop_id: int) -> list[KnownProduct]:
    """Every product of the shop the bot knows, by nmId: the Content cards first (title and
    article), then stock and the weekly order rollups for products without a card (a token
    without Content), and products that only have a cost stored."""
    found: dict[int, KnownProduct] = {}
    for row in await db.fetchall(
        "SELECT nm_id, vendor_code, title, subject FROM products WHERE shop_id = ?", (shop_id,)
    ):
        found[int(row[0])] = KnownProduct(int(row[0]), str(row[1]), str(row[2] or row[3]))
    for sql in (
        "SELECT nm_id, MAX(vendor_code), MAX(subject) FROM stock WHERE shop_id = ? GROUP BY nm_id",
        "SELECT nm_id, MAX(supplier_article), MAX(subject) FROM rollup_product_weeks "
        "WHERE shop_id = ? GROUP BY nm_id",
        "SELECT DISTINCT nm_id, '', '' FROM costs WHERE shop_id = ?",
    ):
        for row in await db.fetchall(sql, (shop_id,)):
            nm_id = int(row[0])
            known = found.get(nm_id)
            if known is None:
                found[nm_id] = KnownProduct(nm_id, str(row[1] or ""), str(row[2] or ""))
            elif not known.article and row[1]:
                found[nm_id] = KnownProduct(nm_id, str(row[1]), known.title or str(row[2] or ""))
    return sorted(found.values(), key=lambda p: (p.article.casefold(), p.nm_id))


# ------------------------------------------------------------------ cost prices


async def save_costs(db: Database, shop_id: int, costs: Sequence[NewCost], by: int) -> int:
    """Stores the costs in one transaction (all or none); a cost for a day that already has
    one replaces it. Returns how many were stored."""
    now = time.time()
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO costs(shop_id, nm_id, size, effective, kopecks, set_by, set_at) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT(shop_id, nm_id, size, effective) DO UPDATE SET "
            "kopecks = excluded.kopecks, set_by = excluded.set_by, set_at = excluded.set_at",
            [
                (
                    shop_id,
                    c.nm_id,
                    size_key(c.size),
                    c.effective.isoformat(),
                    c.kopecks,
                    by,
                    now,
                )
                for c in costs
            ],
        )
    return len(costs)


@dataclass
class CostBook:
    """Cost histories, looked up in memory: `cost_book` reads them in one query, and a profit
    over a period asks for each order's day without another one.

    ``history`` maps (shop_id, nm_id, size) to [(effective day, kopecks)] oldest first."""

    history: dict[tuple[int, int, str], list[tuple[date, int]]] = field(default_factory=dict)

    def add(self, shop_id: int, nm_id: int, size: str, effective: date, kopecks: int) -> None:
        rows = self.history.setdefault((shop_id, nm_id, size_key(size)), [])
        bisect.insort(rows, (effective, kopecks))

    def cost(self, shop_id: int, nm_id: int, size: str | None, day: date) -> int | None:
        """The cost of one unit sold on ``day``, in kopecks; None if the product has none.

        A cost for the size wins over one for every size, each as in effect that day; before
        either took effect, the first one set (the size's first)."""
        exact = self.history.get((shop_id, nm_id, size_key(size)), [])
        every = self.history.get((shop_id, nm_id, ALL_SIZES), []) if size_key(size) else []
        for rows in (exact, every):
            at = bisect.bisect_right(rows, (day, 1 << 62))
            if at:
                return rows[at - 1][1]
        for rows in (exact, every):
            if rows:
                return rows[0][1]
        return None

    def current(self, shop_id: int, day: date) -> dict[tuple[int, str], int]:
        """(nm_id, size) → the cost in effect on ``day`` for every cost row of the shop."""
        return {
            (nm_id, size): cost
            for (shop, nm_id, size) in self.history
            if shop == shop_id and (cost := self.cost(shop, nm_id, size, day)) is not None
        }


@dataclass(frozen=True)
class CostRuns:
    """How a period's rows must be split to be costed (bot.store.profit, bot.store.finance):
    by size only for products with a cost of their own for a size, and into runs of days only
    for products whose cost changes inside the period. Everything else sums to one row per
    product, however many days and sizes it has."""

    starts: tuple[date, ...] = ()  # the days a cost changes inside the period
    changed: frozenset[int] = frozenset()
    sized: frozenset[int] = frozenset()

    def size_sql(self, nm_id: str, size: str) -> tuple[str, list[object]]:
        """An SQL expression: the size for a product costed per size, else ''."""
        if not self.sized:
            return "''", []
        marks = ",".join("?" * len(self.sized))
        return f"CASE WHEN {nm_id} IN ({marks}) THEN {size} ELSE '' END", [*sorted(self.sized)]

    def run_sql(self, nm_id: str, day: str, starts: Sequence[object]) -> tuple[str, list[object]]:
        """An SQL expression numbering a changed product's runs (`starts`: the start days as the
        column holds them), 0 for any other product; ("", []) when nothing changes."""
        if not self.starts or not self.changed:
            return "", []
        marks = ",".join("?" * len(self.changed))
        runs = " + ".join(f"(CASE WHEN {day} >= ? THEN 1 ELSE 0 END)" for _ in starts)
        return (
            f"CASE WHEN {nm_id} IN ({marks}) THEN {runs} ELSE 0 END",
            [*sorted(self.changed), *starts],
        )


def cost_runs(book: CostBook, shop_id: int, first: date, last: date) -> CostRuns:
    """The splits costing the shop's rows of [first, last] needs (see CostRuns)."""
    starts: set[date] = set()
    changed: set[int] = set()
    sized: set[int] = set()
    for (shop, nm_id, size), rows in book.history.items():
        if shop != shop_id:
            continue
        if size:
            sized.add(nm_id)
        inside = {day for day, _kopecks in rows if first < day <= last}
        if inside:
            starts |= inside
            changed.add(nm_id)
    return CostRuns(tuple(sorted(starts)), frozenset(changed), frozenset(sized))


async def cost_book(db: Database, shop_ids: Iterable[int], until: date | None = None) -> CostBook:
    """Every cost of the shops that takes effect on or before ``until`` (all when None), plus
    each product's first one, which applies before it: enough to price any day up to
    ``until``."""
    ids = list(shop_ids)
    book = CostBook()
    if not ids:
        return book
    marks = ",".join("?" * len(ids))
    last = (until or date.max).isoformat()
    rows = await db.fetchall(
        "SELECT shop_id, nm_id, size, effective, kopecks FROM costs c "
        f"WHERE shop_id IN ({marks}) AND (effective <= ? OR effective = ("
        "SELECT MIN(effective) FROM costs f WHERE f.shop_id = c.shop_id AND f.nm_id = c.nm_id "
        "AND f.size = c.size))",
        (*ids, last),
    )
    for r in rows:
        book.add(int(r[0]), int(r[1]), str(r[2]), date.fromisoformat(str(r[3])), int(r[4]))
    return book


async def cost_on(
    db: Database, shop_id: int, nm_id: int, day: date, size: str | None = None
) -> int | None:
    """The cost of one unit of the product sold on ``day``, in kopecks (see `CostBook.cost`)."""
    rows = await db.fetchall(
        "SELECT size, effective, kopecks FROM costs WHERE shop_id = ? AND nm_id = ? "
        "AND size IN (?, '')",
        (shop_id, nm_id, size_key(size)),
    )
    book = CostBook()
    for r in rows:
        book.add(shop_id, nm_id, str(r[0]), date.fromisoformat(str(r[1])), int(r[2]))
    return book.cost(shop_id, nm_id, size, day)


# ------------------------------------------------------------------ tax and fixed expenses


class TaxRegime(StrEnum):
    NONE = "none"
    USN_INCOME = "usn_income"  # УСН «доходы»: the rate of revenue
    USN_PROFIT = "usn_profit"  # УСН «доходы минус расходы»: the rate of revenue less expenses
    VAT = "vat"  # ОСНО: VAT at the rate, included in the price the buyer pays


#: The usual rate of each regime, in hundredths of a percent (VAT is 22 % from 2026).
DEFAULT_RATE_BP = {
    TaxRegime.NONE: 0,
    TaxRegime.USN_INCOME: 600,
    TaxRegime.USN_PROFIT: 1500,
    TaxRegime.VAT: 2200,
}


@dataclass(frozen=True)
class MoneySettings:
    shop_id: int
    regime: TaxRegime = TaxRegime.NONE
    rate_bp: int = 0  # 600 = 6 %
    fixed_monthly: int = 0  # kopecks a month

    @property
    def rate(self) -> Decimal:
        """The rate as a fraction: 600 → 0.06."""
        return Decimal(self.rate_bp) / 10000


def tax_kopecks(settings: MoneySettings, revenue: int, expenses: int) -> int:
    """The tax on a period's ``revenue`` (what buyers paid) given its ``expenses`` (cost of
    goods, WB's fees, fixed expenses), all in kopecks, rounded half up to the kopeck.

    УСН 6 %: of revenue. УСН 15 %: of revenue less expenses, never below 0 (the yearly 1 %
    minimum is not applied to a period). ОСНО: the VAT inside the revenue,
    revenue × rate / (1 + rate); VAT the seller reclaims on purchases is not known here."""
    rate = settings.rate
    if settings.regime is TaxRegime.USN_INCOME:
        base = Decimal(revenue) * rate
    elif settings.regime is TaxRegime.USN_PROFIT:
        base = Decimal(max(0, revenue - expenses)) * rate
    elif settings.regime is TaxRegime.VAT:
        base = Decimal(revenue) * rate / (1 + rate)
    else:
        return 0
    return int(base.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def money_settings(db: Database, shop_id: int) -> MoneySettings:
    row = await db.fetchone(
        "SELECT tax_regime, rate_bp, fixed_monthly FROM shop_money WHERE shop_id = ?", (shop_id,)
    )
    if row is None:
        return MoneySettings(shop_id)
    return MoneySettings(shop_id, TaxRegime(str(row[0])), int(row[1]), int(row[2]))


async def all_money_settings(db: Database, shop_ids: Iterable[int]) -> dict[int, MoneySettings]:
    """Each shop's settings (the defaults for a shop never set)."""
    ids = list(shop_ids)
    found = {shop_id: MoneySettings(shop_id) for shop_id in ids}
    if ids:
        rows = await db.fetchall(
            "SELECT shop_id, tax_regime, rate_bp, fixed_monthly FROM shop_money "
            f"WHERE shop_id IN ({','.join('?' * len(ids))})",
            ids,
        )
        for r in rows:
            found[int(r[0])] = MoneySettings(int(r[0]), TaxRegime(str(r[1])), int(r[2]), int(r[3]))
    return found


async def set_tax(
    db: Database, shop_id: int, regime: TaxRegime, rate_bp: int | None, by: int
) -> MoneySettings:
    """Sets the regime and its rate (None: the regime's usual one); keeps the fixed expenses."""
    rate = DEFAULT_RATE_BP[regime] if rate_bp is None else rate_bp
    if regime is TaxRegime.NONE:
        rate = 0
    await db.write(
        "INSERT INTO shop_money(shop_id, tax_regime, rate_bp, updated_by, updated_at) "
        "VALUES (?,?,?,?,?) ON CONFLICT(shop_id) DO UPDATE SET tax_regime = excluded.tax_regime, "
        "rate_bp = excluded.rate_bp, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (shop_id, regime.value, rate, by, time.time()),
    )
    return await money_settings(db, shop_id)


async def set_fixed_monthly(db: Database, shop_id: int, kopecks: int, by: int) -> MoneySettings:
    await db.write(
        "INSERT INTO shop_money(shop_id, fixed_monthly, updated_by, updated_at) "
        "VALUES (?,?,?,?) ON CONFLICT(shop_id) DO UPDATE SET "
        "fixed_monthly = excluded.fixed_monthly, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (shop_id, kopecks, by, time.time()),
    )
    return await money_settings(db, shop_id)

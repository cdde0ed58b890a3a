"""WB's finance report: ``POST finance-api /api/finance/v1/sales-reports/detailed``.

Spec: ZloyDeDD/wb-api-skill ``swagger/13-finances.yaml`` (WB's documentation, 2026-08-18),
operation ``postV1SalesReportsDetailed``, schemas ``SalesReportsDetailedReq`` and
``SalesReportsDetailedRes``:

- the body is ``{dateFrom, dateTo, limit ≤ 100000, rrdId, period: weekly|daily, fields}``;
  dates are RFC 3339 in Moscow time;
- paging: "Начинайте загрузку отчёта с rrdid 0. В последующих запросах передавайте значение
  rrdId из последней строки предыдущего ответа. Повторяйте запрос, пока не получите ответ 204";
- money values are **strings** (``forPay: '376.99'``, ``rebillLogisticCost: '1.349'``), percents
  and counts numbers. They are read here into exact :class:`~decimal.Decimal`, never floats;
- limits (one seller account): Personal, Service, Base with secret 1 per minute; Base 2 per
  24 hours, one every 12 hours (bot.wb.methods).

A row that cannot be read (no rrdId, a money field that is not a number) is skipped and counted,
never fatal, like every other WB row the bot reads (bot.wb.models).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.timeutil import parse_utc
from bot.wb.models import Parsed, _expect_list, _integer, _parse_rows, _Skip, _text

#: ``limit``: "maximum: 100000, default: 100000".
PAGE_LIMIT = 100_000
WEEKLY = "weekly"
DAILY = "daily"

_MAX_MONEY = Decimal(10) ** 15
_MAX_MONEY_TEXT = 40

# What a row is, for the seller: by docTypeName for sales and returns, else by the amount it
# carries. WB's list of sellerOperName values is not closed (the spec shows examples only).
SALE = "sale"
RETURN = "return"
LOGISTICS_TO = "logistics_to"  # to the buyer
LOGISTICS_FROM = "logistics_from"  # back from the buyer
STORAGE = "storage"
ACCEPTANCE = "acceptance"
PENALTY = "penalty"
DEDUCTION = "deduction"
ADDITIONAL = "additional"
REBILL = "rebill"
OTHER = "other"
KINDS = (
    SALE,
    RETURN,
    LOGISTICS_TO,
    LOGISTICS_FROM,
    STORAGE,
    ACCEPTANCE,
    PENALTY,
    DEDUCTION,
    ADDITIONAL,
    REBILL,
    OTHER,
)

#: Our name -> WB's field, for every money field kept (all ``type: string`` in the spec).
MONEY_FIELDS: Mapping[str, str] = {
    "retail_price": "retailPrice",
    "retail_price_with_disc": "retailPriceWithDisc",
    "retail_amount": "retailAmount",
    "for_pay": "forPay",
    "sales_commission": "ppvzSalesCommission",
    "vw": "vw",
    "vw_nds": "vwNds",
    "acquiring_fee": "acquiringFee",
    "ppvz_reward": "ppvzReward",
    "delivery_service": "deliveryService",
    "penalty": "penalty",
    "additional_payment": "additionalPayment",
    "rebill_logistic_cost": "rebillLogisticCost",
    "paid_storage": "paidStorage",
    "deduction": "deduction",
    "paid_acceptance": "paidAcceptance",
    "cashback_amount": "cashbackAmount",
    "cashback_discount": "cashbackDiscount",
    "cashback_commission_change": "cashbackCommissionChange",
    "installment_cofinancing": "installmentCofinancingAmount",
}

#: Our name -> WB's field, for the texts and counts kept (a missing one is "" or 0).
TEXT_FIELDS: Mapping[str, str] = {
    "vendor_code": "vendorCode",
    "tech_size": "techSize",
    "barcode": "sku",
    "subject": "subjectName",
    "brand": "brandName",
    "title": "title",
    "doc_type": "docTypeName",
    "oper": "sellerOperName",
    "bonus_type": "bonusTypeName",
    "srid": "srid",
    "order_uid": "orderUid",
    "delivery_method": "deliveryMethod",
    "office": "officeName",
}
COUNT_FIELDS: Mapping[str, str] = {
    "report_type": "reportType",
    "quantity": "quantity",
    "delivery_amount": "deliveryAmount",
    "return_amount": "returnAmount",
}


@dataclass(frozen=True, slots=True)
class FinanceRow:
    """One row of a realization report (a weekly or a daily one). Money in roubles, exact."""

    rrd_id: int
    report_id: int
    period: str  # weekly | daily: the request's period, which WB does not echo
    date_from: date
    date_to: date
    create_date: date | None
    report_type: int
    nm_id: int  # 0 on rows of the whole shop (a deduction, say)
    vendor_code: str
    tech_size: str
    barcode: str
    subject: str
    brand: str
    title: str
    doc_type: str
    oper: str
    bonus_type: str
    quantity: int
    delivery_amount: int
    return_amount: int
    commission_percent: Decimal
    rr_date: date | None
    order_dt: datetime | None
    sale_dt: datetime | None
    srid: str
    order_uid: str
    delivery_method: str
    office: str
    retail_price: Decimal
    retail_price_with_disc: Decimal
    retail_amount: Decimal
    for_pay: Decimal
    sales_commission: Decimal
    vw: Decimal
    vw_nds: Decimal
    acquiring_fee: Decimal
    ppvz_reward: Decimal
    delivery_service: Decimal
    penalty: Decimal
    additional_payment: Decimal
    rebill_logistic_cost: Decimal
    paid_storage: Decimal
    deduction: Decimal
    paid_acceptance: Decimal
    cashback_amount: Decimal
    cashback_discount: Decimal
    cashback_commission_change: Decimal
    installment_cofinancing: Decimal

    @property
    def kind(self) -> str:
        doc = self.doc_type.strip().lower()
        if doc == "продажа":
            return SALE
        if doc == "возврат":
            return RETURN
        if self.delivery_service:
            back = self.return_amount > 0 or self.bonus_type.strip().lower().startswith(
                "от клиента"
            )
            return LOGISTICS_FROM if back else LOGISTICS_TO
        for amount, kind in (
            (self.paid_storage, STORAGE),
            (self.paid_acceptance, ACCEPTANCE),
            (self.penalty, PENALTY),
            (self.deduction, DEDUCTION),
            (self.additional_payment, ADDITIONAL),
            (self.rebill_logistic_cost, REBILL),
        ):
            if amount:
                return kind
        return OTHER


def money(value: Any, name: str) -> Decimal:
    """A money value as WB sends it (a string; a number is taken too) as an exact Decimal;
    missing or empty is 0. Anything else skips the row: a guess would corrupt every sum."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise _Skip(f"{name} not a number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | str):
        text = str(value).strip().replace(",", ".")
        if len(text) > _MAX_MONEY_TEXT:
            raise _Skip(f"{name} not a number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _Skip(f"{name} not a number") from None
    else:
        raise _Skip(f"{name} not a number")
    if not number.is_finite() or abs(number) >= _MAX_MONEY:
        raise _Skip(f"{name} not a number")
    return number + 0  # -0 -> 0


def _day(value: Any) -> date | None:
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _required_day(row: Mapping[str, Any], key: str) -> date:
    day = _day(row.get(key))
    if day is None:
        raise _Skip(f"{key} not a date")
    return day


def _moment(value: Any) -> datetime | None:
    """``orderDt``/``saleDt``: RFC 3339 with its zone ('2026-03-14T00:00:00Z')."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def _count(row: Mapping[str, Any], key: str) -> int:
    number = _integer(row.get(key))
    return 0 if number is None else number


def _percent(row: Mapping[str, Any], key: str) -> Decimal:
    try:
        return money(row.get(key), key)
    except _Skip:
        return Decimal(0)  # a percent is shown, never summed: not worth the row


def _row(row: Mapping[str, Any], period: str) -> FinanceRow:
    rrd_id = _integer(row.get("rrdId"))
    if rrd_id is None or rrd_id <= 0:
        raise _Skip("rrdId not a positive integer")
    report_id = _integer(row.get("reportId"))
    if report_id is None:
        raise _Skip("reportId not an integer")
    nm_id = _integer(row.get("nmId"))
    kept: dict[str, Any] = {ours: money(row.get(key), key) for ours, key in MONEY_FIELDS.items()}
    kept.update((ours, _text(row, theirs)) for ours, theirs in TEXT_FIELDS.items())
    kept.update((ours, _count(row, theirs)) for ours, theirs in COUNT_FIELDS.items())
    return FinanceRow(
        rrd_id=rrd_id,
        report_id=report_id,
        period=period,
        date_from=_required_day(row, "dateFrom"),
        date_to=_required_day(row, "dateTo"),
        create_date=_day(row.get("createDate")),
        nm_id=nm_id if nm_id is not None and nm_id > 0 else 0,
        commission_percent=_percent(row, "commissionPercent"),
        rr_date=_day(row.get("rrDate")),
        order_dt=_moment(row.get("orderDt")),
        sale_dt=_moment(row.get("saleDt")),
        **kept,
    )


def parse_finance_rows(data: Any, period: str) -> Parsed[FinanceRow]:
    """A page of the report (a JSON array; None for WB's 204 is an empty page)."""
    if data is None:
        return Parsed()
    return _parse_rows(_expect_list(data, "finance report"), lambda r: _row(r, period))


def request_body(
    date_from: str, date_to: str, period: str, rrd_id: int, limit: int = PAGE_LIMIT
) -> dict[str, Any]:
    """SalesReportsDetailedReq (every field: the report's full rows)."""
    if period not in (WEEKLY, DAILY):
        raise ValueError("period is weekly or daily")
    return {
        "dateFrom": date_from,
        "dateTo": date_to,
        "limit": limit,
        "rrdId": rrd_id,
        "period": period,
    }

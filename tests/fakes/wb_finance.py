"""Rows of WB's finance report for the fake: ``POST finance-api
/api/finance/v1/sales-reports/detailed`` ("Детализации к отчётам реализации за период").

Everything here follows WB's spec, ZloyDeDD/wb-api-skill ``swagger/13-finances.yaml``
(snapshot 2026-08-18), schema ``SalesReportsDetailedRes``: camelCase names, every field the
schema lists as required present in every row, and money as **strings** (``retailAmount: '367'``,
``forPay: '376.99'``, ``rebillLogisticCost: '1.349'``) while percents, counts and ids are numbers.

The seller operation names (``sellerOperName``) and logistics kinds (``bonusTypeName``) are the
ones WB's reports use; the spec gives only examples ("Продажа", "Штраф МП. Невыполненный заказ
…"), so a client must not rely on the list being closed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: SalesReportsDetailedRes ``required``, in the spec's order.
REQUIRED_FIELDS: tuple[str, ...] = (
    "reportId", "dateFrom", "dateTo", "createDate", "currency", "reportType", "rrdId", "giId",
    "dlvPrc", "fixTariffDateFrom", "fixTariffDateTo", "subjectName", "nmId", "brandName",
    "vendorCode", "title", "techSize", "sku", "docTypeName", "quantity", "retailPrice",
    "retailAmount", "salePercent", "commissionPercent", "officeName", "sellerOperName",
    "orderDt", "saleDt", "rrDate", "shkId", "retailPriceWithDisc", "deliveryAmount",
    "returnAmount", "deliveryService", "giBoxTypeName", "productDiscountForReport",
    "sellerPromo", "spp", "kvwBase", "kvw", "supRatingUp", "isKgvpV2", "ppvzSalesCommission",
    "forPay", "ppvzReward", "acquiringFee", "acquiringPercent", "paymentProcessing",
    "acquiringBank", "vw", "vwNds", "ppvzOfficeName", "ppvzOfficeId", "ppvzSupplierName",
    "ppvzSupplierInn", "declarationNumber", "stickerId", "country", "srvDbs", "penalty",
    "additionalPayment", "rebillLogisticCost", "paidStorage", "deduction", "paidAcceptance",
    "orderId", "isB2b", "trbxId", "installmentCofinancingAmount", "wibesDiscountPercent",
    "cashbackAmount", "cashbackDiscount", "cashbackCommissionChange", "paymentSchedule",
    "deliveryMethod", "sellerPromoId", "sellerPromoDiscount", "loyaltyId", "loyaltyDiscount",
    "uuidPromocode", "salePricePromocodeDiscountPrc", "articleSubstitution",
    "salePriceAffiliatedDiscountPrc", "salePriceWholesaleDiscountPrc", "b2bCustomerTin",
    "paidWithSocialCertificate", "warehouseLogisticsCoeff", "orderUid", "srid",
)  # fmt: skip
#: In the schema but not required.
OPTIONAL_FIELDS: tuple[str, ...] = ("bonusTypeName", "rebillLogisticOrg", "kiz", "agencyVat")
#: The schema's ``type: string`` money fields.
MONEY_FIELDS: frozenset[str] = frozenset(
    {
        "retailPrice", "retailAmount", "retailPriceWithDisc", "deliveryService", "sellerPromo",
        "ppvzSalesCommission", "forPay", "ppvzReward", "acquiringFee", "vw", "vwNds", "penalty",
        "additionalPayment", "rebillLogisticCost", "paidStorage", "deduction", "paidAcceptance",
        "installmentCofinancingAmount", "cashbackAmount", "cashbackDiscount",
        "cashbackCommissionChange", "paymentSchedule",
    }
)  # fmt: skip
#: ``period`` (SalesReportsDetailedReq): "daily" or "weekly" (the default).
PERIODS = ("daily", "weekly")
#: ``limit``: "maximum: 100000, default: 100000".
MAX_LIMIT = 100_000
#: "Данные доступны с 29 января 2024 года."
DATA_SINCE = date(2024, 1, 29)

SALE, RETURN = "Продажа", "Возврат"
LOGISTICS = "Логистика"
STORAGE = "Хранение"
ACCEPTANCE = "Платная приемка"
PENALTY = "Штраф"
DEDUCTION = "Удержание"
ADDITIONAL = "Доплаты"
REBILL = "Возмещение издержек по перевозке/по складским операциям с товаром"
TO_BUYER = "К клиенту при продаже"
FROM_BUYER = "От клиента при возврате"

_KOPECK = Decimal("0.01")


def money(value: Decimal | int | str) -> str:
    """A money value as WB writes it: a string, no trailing zeros ('1249', '399.68', '1.349')."""
    number = Decimal(value)
    text = format(number.normalize(), "f") if number else "0"
    return text


def kop(value: Decimal) -> Decimal:
    return value.quantize(_KOPECK, rounding=ROUND_HALF_UP)


def blank_row() -> dict[str, Any]:
    """Every required field at its empty value (money '0', numbers 0, text '')."""
    row: dict[str, Any] = {}
    for name in REQUIRED_FIELDS:
        if name in MONEY_FIELDS:
            row[name] = "0"
        elif name in ("srvDbs", "isB2b", "paidWithSocialCertificate"):
            row[name] = False
        elif name in (
            "reportId", "reportType", "rrdId", "giId", "nmId", "quantity", "salePercent",
            "shkId", "deliveryAmount", "returnAmount", "ppvzOfficeId", "orderId",
            "sellerPromoId", "loyaltyId",
        ):  # fmt: skip
            row[name] = 0
        elif name in (
            "dlvPrc", "commissionPercent", "productDiscountForReport", "spp", "kvwBase", "kvw",
            "supRatingUp", "isKgvpV2", "acquiringPercent", "wibesDiscountPercent",
            "sellerPromoDiscount", "loyaltyDiscount", "salePricePromocodeDiscountPrc",
            "salePriceAffiliatedDiscountPrc", "salePriceWholesaleDiscountPrc",
            "warehouseLogisticsCoeff",
        ):  # fmt: skip
            row[name] = 0
        else:
            row[name] = ""
    row["currency"] = "RUB"
    row["reportType"] = 1
    row["country"] = "Россия"
    row["bonusTypeName"] = ""
    return row


@dataclass(frozen=True)
class Item:
    """What the demo week needs of a product."""

    nm_id: int
    article: str
    brand: str
    subject: str
    tech_size: str
    barcode: str
    price: int  # before the seller's discount
    discount: int  # the seller's discount, %


def week_rows(
    items: Sequence[Item], monday: date, rng: random.Random, *, sales_per_item: int = 3
) -> list[dict[str, Any]]:
    """A realistic week of report rows (without report ids, rrdIds and periods): for every
    product a few sales with their logistics to the buyer, one return with its logistics back,
    storage; and for the shop one paid acceptance, a penalty, a deduction (promotion), an
    additional payment and a transport rebill. Amounts are consistent the way WB's are:
    ``forPay = retailAmount - vw - vwNds - acquiringFee``."""
    rows: list[dict[str, Any]] = []
    srid_seq = rng.randrange(10**15)

    def at(day: int, hour: int) -> datetime:
        return datetime.combine(monday + timedelta(days=day), datetime.min.time()).replace(
            hour=hour
        )

    def product_fields(item: Item) -> dict[str, Any]:
        return {
            "nmId": item.nm_id,
            "vendorCode": item.article,
            "brandName": item.brand,
            "subjectName": item.subject,
            "title": f"{item.subject} {item.brand}",
            "techSize": item.tech_size,
            "sku": item.barcode,
            "officeName": "Склад WB РФ",
            "giBoxTypeName": "Короба",
            "deliveryMethod": "FBW",
        }

    for item in items:
        with_disc = kop(Decimal(item.price) * (100 - item.discount) / 100)
        kvw_base = Decimal("19.5")
        spp = Decimal(rng.choice((5, 10, 15, 22)))
        # WB pays the buyer's platform discount (spp) out of its reward: the final kVV is the
        # base less spp (the spec's example: kvwBase 24.15, kvw 1.81).
        kvw = max(kvw_base - spp, Decimal("1.5"))
        sales: list[tuple[str, datetime]] = []
        for n in range(sales_per_item + 1):
            srid_seq += 1
            srid = f"{srid_seq:x}{item.nm_id:x}"
            day, hour = rng.randrange(7), rng.randrange(8, 22)
            when = at(day, hour)
            is_return = n == sales_per_item
            if is_return:
                srid, when = sales[0][0], at(min(6, day + 1), hour)
            else:
                sales.append((srid, when))
            paid = kop(with_disc * (100 - spp) / 100)
            vw = kop(paid * kvw / 100 / Decimal("1.2"))
            vw_nds = kop(vw * Decimal("0.2"))
            acquiring = kop(paid * Decimal("0.015"))
            for_pay = paid - vw - vw_nds - acquiring
            order_dt = when - timedelta(days=2)
            row = blank_row()
            row.update(product_fields(item))
            row.update(
                {
                    "docTypeName": RETURN if is_return else SALE,
                    "sellerOperName": RETURN if is_return else SALE,
                    "quantity": 1,
                    "retailPrice": money(item.price),
                    "retailPriceWithDisc": money(with_disc),
                    "retailAmount": money(paid),
                    "salePercent": item.discount,
                    "commissionPercent": float(kvw_base),
                    "kvwBase": float(kvw_base),
                    "kvw": float(kvw),
                    "spp": float(spp),
                    "ppvzSalesCommission": money(vw),
                    "vw": money(vw),
                    "vwNds": money(vw_nds),
                    "acquiringFee": money(acquiring),
                    "acquiringPercent": 1.5,
                    "paymentProcessing": "Комиссия за организацию платежа с НДС",
                    "acquiringBank": "Тинькофф",
                    "forPay": money(for_pay),
                    "orderDt": order_dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "saleDt": (when - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "rrDate": when.date().isoformat(),
                    "shkId": rng.randrange(10**9, 10**10),
                    "srid": srid,
                    "orderUid": f"id{srid[:30]}",
                }
            )
            rows.append(row)
            # Logistics: to the buyer for every sale, from the buyer for the return.
            logistic = blank_row()
            logistic.update(product_fields(item))
            fee = Decimal(rng.choice(("56.4", "72.15", "88", "104.6")))
            logistic.update(
                {
                    "sellerOperName": LOGISTICS,
                    "bonusTypeName": FROM_BUYER if is_return else TO_BUYER,
                    "deliveryAmount": 0 if is_return else 1,
                    "returnAmount": 1 if is_return else 0,
                    "deliveryService": money(Decimal(50) if is_return else fee),
                    "dlvPrc": 1.8,
                    "warehouseLogisticsCoeff": 1.8,
                    "orderDt": order_dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "saleDt": (when - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "rrDate": when.date().isoformat(),
                    "srid": srid,
                    "orderUid": f"id{srid[:30]}",
                }
            )
            rows.append(logistic)
        for day in range(7):
            storage = blank_row()
            storage.update(product_fields(item))
            storage.update(
                {
                    "sellerOperName": STORAGE,
                    "paidStorage": money(Decimal(rng.randrange(150, 900)) / 100),
                    "rrDate": (monday + timedelta(days=day)).isoformat(),
                }
            )
            rows.append(storage)
    first = items[0] if items else None
    no_show = "Штраф МП. Невыполненный заказ (отмена клиентом после недовоза)"
    shop_rows: list[tuple[str, str, str, str]] = [
        (ACCEPTANCE, "paidAcceptance", "865", "Платная приемка"),
        (PENALTY, "penalty", "300", no_show),
        (DEDUCTION, "deduction", "1500", "Оказание услуг «WB.Продвижение»"),
        (ADDITIONAL, "additionalPayment", "120.5", "Компенсация ущерба"),
        (REBILL, "rebillLogisticCost", "1.349", ""),
    ]  # fmt: skip
    for n, (oper, fld, amount, bonus) in enumerate(shop_rows):
        row = blank_row()
        if first is not None and oper in (ACCEPTANCE, PENALTY, REBILL):
            row.update(product_fields(first))
        row.update(
            {
                "sellerOperName": oper,
                "bonusTypeName": bonus,
                fld: amount,
                "rrDate": (monday + timedelta(days=2 + n % 5)).isoformat(),
            }
        )
        if oper == REBILL:
            row["rebillLogisticOrg"] = "ИП Иванов Иван Иванович(123456789012)"
        rows.append(row)
    rows.sort(key=lambda r: r["rrDate"])
    return rows


def to_transfer(rows: Iterable[Mapping[str, Any]]) -> Decimal:
    """What WB transfers for these rows, the way the seller's cabinet sums a report: for-pay of
    sales less that of returns, less logistics, storage, acceptance, penalties, deductions and
    transport rebills, plus additional payments."""
    total = Decimal(0)
    for row in rows:
        doc = row.get("docTypeName")
        sign = -1 if doc == RETURN else 1
        total += sign * Decimal(row["forPay"])
        for name in (
            "deliveryService", "paidStorage", "paidAcceptance", "penalty", "deduction",
            "rebillLogisticCost",
        ):  # fmt: skip
            total -= Decimal(row[name])
        total += Decimal(row["additionalPayment"])
    return total

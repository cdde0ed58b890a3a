"""Every inline button's data comes from an aiogram CallbackData factory: each packs within
Telegram's 64 bytes, unpacks to what it packed, and packs to the strings buttons already sent in
chats carry (so those keep working); the two whose format changed still accept the old one."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.handlers.export_button import OrdersExport
from bot.handlers.money_buttons import CostPick, CostShop, MoneyMenu
from bot.handlers.report_choice import ProfitChoice, ReportChoice, StockChoice
from bot.handlers.settings.alerts import AlertSwitch
from bot.handlers.settings.horizon import HorizonChoice
from bot.handlers.settings.language import LanguageChoice
from bot.handlers.settings.menu import OpenMenu, TypeIn
from bot.handlers.settings.quiet import QuietChoice, QuietOff
from bot.handlers.settings.reviews import ReviewSettings
from bot.handlers.settings.summary_time import SummaryTimeChoice
from bot.handlers.settings.zone import ZoneChoice
from bot.handlers.shops import MemberRemoval, ShopAction
from bot.notify.buttons import MuteProduct
from bot.notify.team import RouteAnswer, RouteChoice

BIG = 2**63 - 1
GROUP = -1001234567890123

# (button data as a factory makes it, the string it packs to: the same as before the factories)
SAME_AS_BEFORE: list[tuple[CallbackData, str]] = [
    (OpenMenu(section="menu"), "set:menu"),
    (OpenMenu(section="tz"), "set:tz"),
    (OpenMenu(section="photos"), "set:photos"),
    (TypeIn(menu="quiet"), "set:quiet:type"),
    (LanguageChoice(code="ru"), "set:lang:ru"),
    (
        ZoneChoice(zone="America/Argentina/ComodRivadavia"),
        "set:tz:America/Argentina/ComodRivadavia",
    ),
    (AlertSwitch(key="orders"), "set:alert:orders"),
    (HorizonChoice(days=14), "set:horizon:14"),
    (QuietOff(), "set:quiet:off"),
    (ReviewSettings(action="threshold", value=4), "rv:threshold:4"),
    (MuteProduct(shop_id=3, nm_id=123456789, how="week"), "mute:3:123456789:week"),
    (ShopAction(action="dsw", shop_id=7), "sh:dsw:7"),
    (MemberRemoval(shop_id=7, member=555), "sh:mrm:7:555"),
    (ReportChoice(shop="all", period="20261101-20261115"), "rep:all:20261101-20261115"),
    (StockChoice(shop="12"), "stk:12"),
    (ProfitChoice(shop="3", period="month"), "pro:3:month"),
    (OrdersExport(shops="all", first="20261101", last="20261115"), "xo:all:20261101:20261115"),
    (MoneyMenu(action="rate", shop_id=3, value="600"), "mny:rate:3:600"),
    (CostShop(shop_id=3), "cst:3"),
    (CostPick(shop_id=3, nm_id=123456789, kopecks=125050), "cpk:3:123456789:125050"),
    (RouteChoice(shop_id=5), "nh:5"),
    (RouteAnswer(shop_id=5, chat_id=GROUP, member=42, allow=True), f"nha:5:{GROUP}:42:1"),
]

# The longest data each factory makes in use, which must fit Telegram's 64 bytes.
LONGEST: list[CallbackData] = [
    SummaryTimeChoice(hour=23, minute=59),
    QuietChoice(start_hour=23, start_minute=30, end_hour=10, end_minute=45),
    MuteProduct(shop_id=BIG, nm_id=BIG, how="ever"),
    MemberRemoval(shop_id=BIG, member=BIG),
    RouteAnswer(shop_id=BIG, chat_id=GROUP, member=BIG, allow=False),
    ReportChoice(shop=str(BIG), period="20261101-20261115"),
]


@pytest.mark.parametrize(("data", "packed"), SAME_AS_BEFORE, ids=lambda x: str(x)[:30])
def test_a_factory_packs_as_the_buttons_already_sent_and_unpacks_to_itself(
    data: CallbackData, packed: str
) -> None:
    assert data.pack() == packed
    assert type(data).unpack(packed) == data


@pytest.mark.parametrize("data", LONGEST, ids=lambda x: type(x).__name__)
def test_the_longest_data_fits_telegram_and_round_trips(data: CallbackData) -> None:
    packed = data.pack()  # pack() itself refuses data over 64 bytes
    assert len(packed.encode()) <= 64
    assert type(data).unpack(packed) == data


def test_a_summary_time_button_sent_before_the_factories_means_the_same_time() -> None:
    assert SummaryTimeChoice.unpack("set:time:07:00") == SummaryTimeChoice(hour=7, minute=0)
    assert SummaryTimeChoice(hour=7, minute=0).pack() == "set:time:7:0"


@pytest.mark.parametrize(
    ("factory", "forged"),
    [
        (SummaryTimeChoice, "set:time:24:00"),
        (QuietChoice, "set:quiet:23:60:9:0"),
        (MuteProduct, "mute:1:2:month"),
        (MuteProduct, f"mute:1:{2**63}:week"),
        (ShopAction, "sh:xyz:1"),
        (MemberRemoval, "sh:mrm:1:²"),
        (ZoneChoice, "set:time:Europe/Moscow"),
        (HorizonChoice, "set:horizon:many"),
    ],
)
def test_forged_data_does_not_unpack(factory: type[CallbackData], forged: str) -> None:
    with pytest.raises((TypeError, ValueError)):
        factory.unpack(forged)

"""What WB's rows tell a seller, as the typed events the outbox carries (bot.events).

Each source says an order differently: statistics in full, the order feed with the seller's
price only (its article, subject and brand come from what is stored of the product), the FBS
list with an article and a price. The event has one shape; what a source does not give is left
empty, and the alert leaves it out.
"""

from __future__ import annotations

from typing import TypeVar

from bot.events import OrderLine, QuestionAsked, ReviewPosted, SaleLine
from bot.wb.models import FbsOrder, FeedOrder, Order, Sale
from bot.wb.reviews import Question, Review

Ord = TypeVar("Ord", bound=OrderLine)
S = TypeVar("S", bound=SaleLine)

#: nmId → (seller article, subject, brand) of the products a feed page names.
Names = dict[int, tuple[str, str, str]]


def from_statistics(kind: type[Ord], o: Order) -> Ord:
    return kind(
        srid=o.srid,
        nm_id=o.nm_id,
        supplier_article=o.supplier_article,
        tech_size=o.tech_size,
        subject=o.subject,
        brand=o.brand,
        price_with_disc=o.price_with_disc,
        finished_price=o.finished_price,
        total_price=o.total_price,
        discount_percent=o.discount_percent,
        spp=o.spp,
        warehouse=o.warehouse_name,
        region=o.region_name,
        ts=int(o.date.timestamp()),
        source="statistics",
    )


def from_feed(kind: type[Ord], o: FeedOrder, names: Names) -> Ord:
    article, subject, brand = names.get(o.nm_id, ("", "", ""))
    return kind(
        srid=o.srid,
        nm_id=o.nm_id,
        supplier_article=article,
        subject=subject,
        brand=brand,
        # The feed gives the seller's price only: no discounts to show.
        price_with_disc=o.seller_price,
        warehouse=o.warehouse_name,
        region=o.city,
        ts=int(o.created_at.timestamp()),
        source="feed",
    )


def from_fbs(kind: type[Ord], o: FbsOrder) -> Ord:
    # orders/new gives the article and the price only: no discounts, no warehouse to show.
    return kind(
        srid=o.rid,
        nm_id=o.nm_id,
        supplier_article=o.article,
        price_with_disc=o.price,
        finished_price=o.price,
        total_price=o.price,
        ts=int(o.created_at.timestamp()),
        source="fbs",
    )


def from_sale(kind: type[S], s: Sale) -> S:
    return kind(
        sale_id=s.sale_id,
        srid=s.srid,
        nm_id=s.nm_id,
        supplier_article=s.supplier_article,
        tech_size=s.tech_size,
        subject=s.subject,
        brand=s.brand,
        price_with_disc=s.price_with_disc,
        for_pay=s.for_pay,
        warehouse=s.warehouse_name,
        region=s.region_name,
        ts=int(s.date.timestamp()),
    )


def review_posted(r: Review) -> ReviewPosted:
    return ReviewPosted(
        id=r.id,
        nm_id=r.nm_id,
        rating=r.rating,
        text=r.text,
        pros=r.pros,
        cons=r.cons,
        photos=r.photos,
        title=r.product_name,
        supplier_article=r.article,
        brand=r.brand,
        ts=int(r.created_at.timestamp()),
    )


def question_asked(q: Question) -> QuestionAsked:
    return QuestionAsked(
        id=q.id,
        nm_id=q.nm_id,
        text=q.text,
        title=q.product_name,
        supplier_article=q.article,
        brand=q.brand,
        ts=int(q.created_at.timestamp()),
    )

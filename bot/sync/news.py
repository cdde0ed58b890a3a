"""What WB's rows tell a seller, as the typed events the outbox carries (bot.events).

Each source says an order differently: statistics in full, the order feed with the seller's
price only (its article, subject and brand come from what is stored of the product), the FBS
list with an article and a price. The event has one shape; what a source does not give is left
empty, and the alert leaves it out.
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

from bot.events import OrderLine, QuestionAsked, ReviewPosted, SaleLine
from bot.wb.models import FbsOrder, FeedOrder, Order, Sale
from bot.wb.reviews import Post, Question, Review

Ord = TypeVar("Ord", bound=OrderLine)
S = TypeVar("S", bound=SaleLine)

#: nmId → (seller article, subject, brand) of the products a feed page names.
Names = dict[int, tuple[str, str, str]]


class _Product(TypedDict):
    """What a statistics row says of its product, as a `ProductLine` takes it (mypy checks the
    keys against the event's fields where it is unpacked)."""

    srid: str
    nm_id: int
    supplier_article: str
    tech_size: str
    subject: str
    brand: str
    price_with_disc: float
    warehouse: str
    region: str
    ts: int


def _product(row: Order | Sale) -> _Product:
    return _Product(
        srid=row.srid,
        nm_id=row.nm_id,
        supplier_article=row.supplier_article,
        tech_size=row.tech_size,
        subject=row.subject,
        brand=row.brand,
        price_with_disc=row.price_with_disc,
        warehouse=row.warehouse_name,
        region=row.region_name,
        ts=int(row.date.timestamp()),
    )


def from_statistics(kind: type[Ord], o: Order) -> Ord:
    return kind(
        **_product(o),
        finished_price=o.finished_price,
        total_price=o.total_price,
        discount_percent=o.discount_percent,
        spp=o.spp,
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
    return kind(**_product(s), sale_id=s.sale_id, for_pay=s.for_pay)


class _Post(TypedDict):
    """What a review and a question share, as a `BuyerPost` takes it."""

    id: str
    nm_id: int
    text: str
    title: str
    supplier_article: str
    brand: str
    ts: int


def _post(post: Post) -> _Post:
    return _Post(
        id=post.id,
        nm_id=post.nm_id,
        text=post.text,
        title=post.product_name,
        supplier_article=post.article,
        brand=post.brand,
        ts=int(post.created_at.timestamp()),
    )


def review_posted(r: Review) -> ReviewPosted:
    return ReviewPosted(**_post(r), rating=r.rating, pros=r.pros, cons=r.cons, photos=r.photos)


def question_asked(q: Question) -> QuestionAsked:
    return QuestionAsked(**_post(q))

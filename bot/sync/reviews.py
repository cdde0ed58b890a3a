"""The reviews job: new unanswered reviews and questions from feedbacks-api.

Every method of the category shares one WB budget (3/s burst 6; Base 5 per hour, burst 1).
With room for several calls a poll first asks the cheap "anything unseen?" and fetches the two
lists only when WB says yes, or every SWEEP regardless (a review the seller has already opened in
the cabinet is no longer "unseen", and answered ones must leave the counts). A Base key has one
call per 12 minutes: "unseen?" would cost as much as the list itself, so each poll fetches one
list, reviews and questions in turn.

Only a review or question created after /connect is news (the first listing is a silent
baseline); events are UNIQUE per (shop, kind, id), so a repeat listing or a restart mid-poll
alerts nothing twice.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from bot.events import QuestionAsked, ReviewPosted, to_dict
from bot.store.db import bump
from bot.store.outbox import NewEvent, add_events
from bot.store.reviews import Listed, store_listing
from bot.store.shops import Shop
from bot.sync.flow import poll_ok
from bot.sync.news import question_asked, review_posted
from bot.sync.schedule import next_slot, token_type_of
from bot.wb.methods import METHODS, limit_for
from bot.wb.reviews import parse_new, parse_questions, parse_reviews

if TYPE_CHECKING:
    from bot.store.polls import PollState
    from bot.sync.flow import FlowEngine

log = logging.getLogger(__name__)

SWEEP = 10 * 60.0  # seconds (scaled) between full listings when WB says nothing is unseen
TAKE = 1000  # newest unanswered items per listing: far more than any alert needs
LISTS = ("feedbacks", "questions")


async def poll_reviews(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    started = time.time()
    state: dict[str, Any] = json.loads(poll.task) if poll.task else {}
    limit = limit_for(METHODS["feedbacks"], token_type_of(shop), engine.scale)
    roomy = limit is not None and limit.burst >= 3
    if not roomy:
        turn = state.get("next")
        wanted = [turn if isinstance(turn, str) and turn in LISTS else LISTS[0]]
    elif started - float(state.get("swept", 0)) >= SWEEP * engine.scale:
        wanted = list(LISTS)
    else:
        body = await engine.call(shop, "feedbacks_new", engine.wb.feedbacks_new, token)
        new_reviews, new_questions = parse_new(body)
        wanted = [w for w, new in zip(LISTS, (new_reviews, new_questions), strict=True) if new]
    catch_up = engine.catching_up(poll, period, started)
    loaded = set(state.get("loaded", []))
    for what in wanted:
        body = await engine.call(shop, what, engine.wb.unanswered, token, what, TAKE)
        await _store(engine, shop, what, body, started, catch_up)
        loaded.add(what)
    if roomy and wanted == list(LISTS):
        state["swept"] = started
    if not roomy:
        state["next"] = LISTS[(LISTS.index(wanted[0]) + 1) % len(LISTS)]
    state["loaded"] = sorted(loaded)
    done = time.time()
    async with engine.tx() as conn:
        await poll_ok(
            conn,
            poll,
            done,
            task=json.dumps(state),
            baseline_done=int(loaded >= set(LISTS)),
            next_due_at=next_slot(shop.id, poll.job, period, done),
        )


async def _store(
    engine: FlowEngine, shop: Shop, what: str, body: Any, started: float, catch_up: bool
) -> None:
    listing = parse_reviews(body) if what == "feedbacks" else parse_questions(body)
    found: list[tuple[Listed, ReviewPosted | QuestionAsked]]
    if what == "feedbacks":
        parsed_r = listing.reviews
        found = [
            (Listed(r.id, r.nm_id, r.rating, r.created_at.timestamp(), to_dict(e)), e)
            for r in parsed_r.rows
            for e in [review_posted(r)]
        ]
        kind, skipped, rows = ReviewPosted.kind, parsed_r.skipped, len(parsed_r.rows)
    else:
        parsed_q = listing.questions
        found = [
            (Listed(q.id, q.nm_id, None, q.created_at.timestamp(), to_dict(e)), e)
            for q in parsed_q.rows
            for e in [question_asked(q)]
        ]
        kind, skipped, rows = QuestionAsked.kind, parsed_q.skipped, len(parsed_q.rows)
    items = [item for item, _event in found]
    # Before /connect is history: the first listing is the silent baseline.
    events = [NewEvent(e, i.id) for i, e in found if i.created_at > shop.connected_at]
    async with engine.tx() as conn:
        await store_listing(
            conn, shop.id, kind, items, listing.unanswered, complete=rows + skipped < TAKE
        )
        await add_events(
            conn, shop.id, events, batch=f"{shop.id}:{kind}:{started:.3f}", catch_up=catch_up
        )
        await bump(conn, f"wb_rows_skipped_{kind}s", skipped)
    if skipped:
        why = listing.reviews.reasons if kind == "review" else listing.questions.reasons
        log.warning("shop %s %ss: skipped %d bad items (%s)", shop.id, kind, skipped, dict(why))

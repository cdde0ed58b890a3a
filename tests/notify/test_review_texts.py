"""How a review or question alert reads in Russian and English, and who gets it: a review at or
below the reader's threshold (3★ by default), each switch on its own, quiet hours holding it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.notify.reviews import CABINET_QUESTIONS, CABINET_REVIEWS
from bot.notify.sender import place
from bot.notify.texts import RenderContext, compose
from bot.store.outbox import EventRow
from tests.events import event_row
from tests.lang import EN, RU
from tests.users import user

NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
WHEN = datetime(2026, 11, 20, 8, 5, tzinfo=UTC)  # 15:05 in Novosibirsk


def review(rating=2, **fields) -> EventRow:
    base = {
        "id": "fb1",
        "nm_id": 351282114,
        "rating": rating,
        "text": "Швы <разошлись>",
        "pros": "Цвет",
        "cons": "Качество",
        "photos": 3,
        "title": "Кроссовки UrbanStep",
        "supplier_article": "KROS-608-01",
        "brand": "UrbanStep",
        "ts": int(WHEN.timestamp()),
    }
    return event_row("review", {**base, **fields}, id=1, shop_id=7, ref="fb1", batch="b")


def question() -> EventRow:
    fields = {
        "id": "q1",
        "nm_id": 351282114,
        "text": "Есть размер 44?",
        "title": "Кроссовки UrbanStep",
        "supplier_article": "KROS-608-01",
        "ts": int(WHEN.timestamp()),
    }
    return event_row("question", fields, id=2, shop_id=7, ref="q1", batch="b")


def ctx(lang):
    return RenderContext(
        user=None,
        language=lang,
        gettext=RU if lang == "ru" else EN,
        tz=NOVOSIBIRSK,
        shop_names={7: "ИП Петров"},
    )


def test_a_review_alert_in_english_shows_stars_product_words_photos_date_and_a_button():
    rendered = compose([review()], ctx("en"))
    text = rendered.text
    assert "💬 <b>New review</b> · ИП Петров" in text
    assert "★★☆☆☆ 2 of 5 · 2026-11-20 15:05" in text
    assert "<b>Кроссовки UrbanStep</b>" in text
    assert "Article <code>KROS-608-01</code> · nmId 351282114" in text
    assert "«Швы &lt;разошлись&gt;»" in text
    assert "👍 Pros: Цвет" in text and "👎 Cons: Качество" in text
    assert "📷 Photos: 3" in text
    assert rendered.reply_markup is not None
    button = rendered.reply_markup.inline_keyboard[0][0]
    assert button.text == "Answer in the WB cabinet" and button.url == CABINET_REVIEWS


def test_a_review_alert_in_russian():
    rendered = compose([review(1, text="", pros="", cons="", photos=0)], ctx("ru"))
    text = rendered.text
    assert "💬 <b>Новый отзыв</b> · ИП Петров" in text
    assert "★☆☆☆☆ 1 из 5 · 20.11.2026 15:05" in text
    assert "Артикул <code>KROS-608-01</code>" in text
    assert "(только оценка, без текста)" in text
    assert "Фото" not in text
    assert rendered.reply_markup is not None
    assert rendered.reply_markup.inline_keyboard[0][0].text == "Ответить в кабинете WB"


def test_a_question_alert_in_both_languages():
    en = compose([question()], ctx("en"))
    assert "❓ <b>New question</b> · ИП Петров · 2026-11-20 15:05" in en.text
    assert "«Есть размер 44?»" in en.text and "KROS-608-01" in en.text
    assert en.reply_markup is not None
    assert en.reply_markup.inline_keyboard[0][0].url == CABINET_QUESTIONS
    ru = compose([question()], ctx("ru"))
    assert "❓ <b>Новый вопрос</b> · ИП Петров · 20.11.2026 15:05" in ru.text


def test_a_review_reaches_only_readers_whose_threshold_it_is_at_or_below():
    now = WHEN.timestamp()
    assert place(review(3), user(), now) == ("pending", 0.0)  # default 3★
    assert place(review(4), user(), now) is None
    assert place(review(5), user(review_threshold=5), now) == ("pending", 0.0)
    assert place(review(2), user(review_threshold=1), now) is None
    assert place(review(1), user(alert_reviews=False), now) is None
    assert place(question(), user(alert_questions=False), now) is None
    assert place(question(), user(alert_reviews=False), now) == ("pending", 0.0)
    held = place(review(1), user(quiet_start="00:00", quiet_end="23:59"), now)
    assert held is not None and held[0] == "held"

"""Hostile users against the real dispatcher: whatever they type or press, the bot answers, no
exception escapes a handler, and a WB key never shows in clear in a message, a log line or a
file of the data directory."""

from __future__ import annotations

import json
import secrets

from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.tokens import OLD_STYLE_KEY, b64url_encode, make_token
from tests.fuzz.conftest import OWNER, REPLY_METHODS, BotRig, Tally, fuzz

USERS = st.sampled_from([OWNER, 2, 3, 777_000_001])
LANGUAGES = st.sampled_from(["en", "ru", "xx", "", "zz-ZZ", "de", "ru-RU"])
COMMANDS = [
    "start",
    "help",
    "connect",
    "cancel",
    "shops",
    "status",
    "report",
    "stock",
    "reviews",
    "summary",
    "settings",
    "language",
    "disconnect",
    "invite",
    "members",
    "notify_here",
    "notify_private",
    "nonexistent",
]
#: Every callback data prefix in bot/handlers/*.py, bot/notify/checks.py and bot/notify/team.py.
PREFIXES = [
    "rep:",
    "stk:",
    "set:menu",
    "set:lang",
    "set:lang:",
    "set:tz",
    "set:tz:type",
    "set:tz:",
    "set:time",
    "set:time:type",
    "set:time:",
    "set:alerts",
    "set:alert:",
    "set:horizon",
    "set:horizon:",
    "set:quiet",
    "set:quiet:type",
    "set:quiet:",
    "set:photos",
    "mute:",
    "sh:inv:",
    "sh:mem:",
    "sh:mrm:",
    "sh:dsc:",
    "sh:dsy:",
    "sh:dsk:",
    "sh:dsw:",
    "sh:lv:",
    "sh:no:",
    "nh:",
    "nha:",
    "rv:open",
    "rv:reviews",
    "rv:questions",
    "rv:threshold:",
    "rv:",
]
NASTY = [
    "<b>",
    "</i>",
    "&",
    "&amp;",
    "<a href='javascript:x'>x</a>",
    "\u202e",
    "\u200b",
    "\x00",
    "\n",
    "🏳️‍🌈",
    "ё",
    "%s%n{0}{name}",
    "'; DROP TABLE users; --",
    "9" * 40,
    "-1",
    "0",
    "all",
    "2026-02-30",
    "25:61",
    "Europe/Nowhere",
    "../../etc/passwd",
]

nasty = st.sampled_from(NASTY)
words = st.one_of(nasty, st.text(max_size=30), st.integers(-(2**70), 2**70).map(str))
hostile_text = st.one_of(
    st.text(min_size=1, max_size=300),
    st.text(min_size=3500, max_size=4096),
    st.lists(words, min_size=1, max_size=8).map(" ".join),
).filter(lambda t: t.strip() != "")


def callback_data(prefix: str, suffix: str) -> str:
    """Telegram carries at most 64 bytes of callback data."""
    data = (prefix + suffix).encode()[:64]
    return data.decode("utf-8", "ignore") or prefix


suffixes = st.one_of(
    st.lists(words, max_size=4).map(":".join),
    st.text(max_size=64),
    st.sampled_from(["1", "1:1", "all", "1:123:week", "1:123:ever", "0", "99999", "1:x", ":"]),
)


# --- keys ----------------------------------------------------------------------------------


def jwt(claims: object, *, header: object = None) -> str:
    head = b64url_encode(json.dumps(header or {"alg": "ES256", "typ": "JWT"}).encode())
    body = b64url_encode(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url_encode(secrets.token_bytes(64))}"


claim_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
wrong_claims = st.fixed_dictionaries(
    {},
    optional={
        "acc": claim_values,
        "s": claim_values,
        "exp": claim_values,
        "sid": claim_values,
        "t": claim_values,
        "for": claim_values,
        "id": claim_values,
        "ent": claim_values,
    },
)


@st.composite
def garbled(draw: st.DrawFn) -> str:
    token = make_token(
        acc=draw(st.sampled_from([1, 2, 3, 4])),
        categories=draw(
            st.lists(st.sampled_from(["statistics", "analytics", "content", "marketplace"]))
        ),
        read_only=draw(st.booleans()),
        exp=draw(st.sampled_from([None, 0, 1, 2**31, 10**12])),
    )
    how = draw(st.sampled_from(["cut", "flip", "drop", "space", "intact"]))
    # Positions are drawn as fractions: the token's length varies with its random claims, and
    # hypothesis needs the same draws to mean the same thing when it replays an example.
    at = int(draw(st.floats(0, 1)) * (len(token) - 1))
    if how == "cut":
        return token[: max(at, 1)]
    if how == "flip":
        return token[:at] + draw(st.characters()) + token[at + 1 :]
    if how == "drop":
        parts = token.split(".")
        del parts[draw(st.integers(0, 2))]
        return ".".join(parts)
    if how == "space":
        return token[:at] + draw(st.sampled_from([" ", "\n", "\t", "\u00a0"])) + token[at:]
    return token


random_jwt = st.builds(
    lambda a, b, c: f"eyJ{a}.{b}.{c}",
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/", max_size=400),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=90),
)


def keys(canary: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(canary),
        st.just(OLD_STYLE_KEY),
        random_jwt,
        garbled(),
        wrong_claims.map(jwt),
        st.one_of(st.lists(claim_values), claim_values).map(jwt),  # payload not an object
        wrong_claims.map(lambda c: jwt(c, header={"alg": None})),
    )


WRAPPERS = ["{}", "Bearer {}", "  {}  ", "my key: {}", "{}\n{}", "<code>{}</code>", "'{}'"]


# --- the checks ----------------------------------------------------------------------------


def with_key(key: str):
    return lambda wrapper: wrapper.format(key, key)


def answered(rig: BotRig, chat_id: int, calls: list) -> bool:
    return any(c.ok and c.method in REPLY_METHODS and c.chat_id == chat_id for c in calls)


def check_healthy(rig: BotRig, errors_before: int) -> None:
    """Nothing escaped the dispatcher and the error handler was not needed in this example."""
    assert rig.crashes == 0, "an exception escaped the dispatcher"
    errors = rig.run(rig.counter("handler_errors"))
    assert errors == errors_before, last_error(rig)


def last_error(rig: BotRig) -> str:
    for line in reversed(rig.capture.lines):
        if "handler failed" in line:
            tail = [x for x in line.splitlines() if x.strip()]
            return "\n".join(tail[:1] + tail[-6:])
    return "?"


def finish(rig: BotRig, tally: Tally) -> None:
    tally.add("crashes", rig.crashes)
    tally.add("handler_errors", rig.run(rig.counter("handler_errors")))
    leaks = rig.leaks()
    tally.add("canary_leaks", len(leaks))
    tally.report()
    check_healthy(rig, 0)
    assert leaks == []


# --- the tests -----------------------------------------------------------------------------


def test_hostile_text_gets_an_answer_and_breaks_nothing(botrig: BotRig) -> None:
    tally = Tally("text")

    @fuzz(150)
    @given(
        user=USERS,
        text=st.one_of(hostile_text, st.sampled_from(WRAPPERS).map(with_key(botrig.canary))),
        language=LANGUAGES,
        group=st.booleans(),
    )
    def example(user: int, text: str, language: str, group: bool) -> None:
        errors = botrig.run(botrig.counter("handler_errors"))
        calls = botrig.run(botrig.message(user, text, language=language, group=group))
        tally.add("examples")
        tally.add("group" if group else "private")
        tally.add("replies", sum(c.method in REPLY_METHODS for c in calls))
        check_healthy(botrig, errors)
        if not group:  # in a group the bot rightly keeps out of ordinary chat
            assert answered(botrig, user, calls), f"no answer to {text!r}"

    example()
    finish(botrig, tally)


def test_commands_with_random_arguments(botrig: BotRig) -> None:
    tally = Tally("commands")

    @fuzz(200)
    @given(
        user=USERS,
        command=st.sampled_from(COMMANDS),
        mention=st.sampled_from(["", "@" + botrig.tg.bot_user["username"], "@OtherBot"]),
        args=st.one_of(st.just(""), st.lists(words, max_size=5).map(" ".join), hostile_text),
        language=LANGUAGES,
        group=st.booleans(),
    )
    def example(
        user: int, command: str, mention: str, args: str, language: str, group: bool
    ) -> None:
        text = f"/{command}{mention} {args}".strip()
        errors = botrig.run(botrig.counter("handler_errors"))
        calls = botrig.run(botrig.message(user, text, language=language, group=group))
        tally.add("examples")
        tally.add("replies", sum(c.method in REPLY_METHODS for c in calls))
        check_healthy(botrig, errors)
        if not group and mention != "@OtherBot":
            assert answered(botrig, user, calls), f"no answer to {text[:200]!r}"

    example()
    finish(botrig, tally)


def test_hostile_keys_are_refused_politely_and_never_echoed(botrig: BotRig) -> None:
    tally = Tally("keys")

    @fuzz(150)
    @given(
        user=USERS,
        key=keys(botrig.canary),
        wrapper=st.sampled_from(WRAPPERS),
        via=st.sampled_from(["bare", "connect", "form", "group"]),
    )
    def example(user: int, key: str, wrapper: str, via: str) -> None:
        text = wrapper.format(key, key)[:4096]
        if not text.strip():
            return
        if via == "form":
            botrig.run(botrig.message(user, "/connect"))
        if via == "connect":
            text = "/connect " + text
        errors = botrig.run(botrig.counter("handler_errors"))
        calls = botrig.run(botrig.message(user, text[:4096], group=via == "group"))
        tally.add("examples")
        tally.add(f"via_{via}")
        tally.add("replies", sum(c.method in REPLY_METHODS for c in calls))
        if key == botrig.canary:
            tally.add("canary_sent")
        check_healthy(botrig, errors)
        if via != "group":
            assert answered(botrig, user, calls), f"no answer to {text[:200]!r}"

    example()
    wb_requests = len(botrig.wb.requests)
    tally.add("wb_requests", wb_requests)
    tally.add("wb_violations", botrig.wb.total_violations())
    finish(botrig, tally)
    assert botrig.wb.total_violations() == 0, botrig.wb.violations


def test_random_button_data_for_every_prefix(botrig: BotRig) -> None:
    tally = Tally("buttons")

    @fuzz(250)
    @given(
        user=USERS,
        prefix=st.sampled_from(PREFIXES),
        suffix=suffixes,
    )
    def example(user: int, prefix: str, suffix: str) -> None:
        data = callback_data(prefix, suffix)
        errors = botrig.run(botrig.counter("handler_errors"))
        calls, was_answered = botrig.run(botrig.press(user, data))
        tally.add("examples")
        tally.add("replies", sum(c.method in REPLY_METHODS for c in calls))
        check_healthy(botrig, errors)
        assert was_answered, f"button {data!r} left the spinner turning"

    example()
    finish(botrig, tally)


def test_stale_buttons_of_unknown_kinds(botrig: BotRig) -> None:
    """Data no handler knows (a button from an older version): the spinner must still stop."""
    tally = Tally("unknown buttons")

    @fuzz(50)
    @given(user=USERS, data=st.text(min_size=1, max_size=64))
    def example(user: int, data: str) -> None:
        data = callback_data("", data)
        if any(data.startswith(p) for p in PREFIXES):
            return
        errors = botrig.run(botrig.counter("handler_errors"))
        _, was_answered = botrig.run(botrig.press(user, data))
        tally.add("examples")
        tally.add("answered" if was_answered else "unanswered")
        check_healthy(botrig, errors)
        assert was_answered, f"button {data!r} left the spinner turning"

    example()
    finish(botrig, tally)


def test_the_leak_detector_sees_a_key_in_clear(botrig: BotRig) -> None:
    """The leak checks above would pass vacuously if they could not see a key; they can."""
    assert botrig.leaks() == []
    botrig.run(botrig.app.bot.send_message(OWNER, f"key {botrig.canary}"))
    assert [leak for leak in botrig.leaks() if leak.startswith("telegram")] == [
        "telegram sendMessage"
    ]

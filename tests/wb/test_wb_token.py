"""Reading WB tokens: type, categories, read-only, expiry; old-style keys; keys pasted in text."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.wb.methods import Category, TokenType
from bot.wb.token import (
    MalformedToken,
    OldStyleKey,
    TokenError,
    find_key,
    inspect_token,
    looks_like_token,
    visible_text,
)
from tests.fakes.tokens import (
    ACC_BASE,
    ACC_PERSONAL,
    ACC_SERVICE,
    ACC_TEST,
    CATEGORY_BITS,
    OLD_STYLE_KEY,
    make_token,
)


def _b64(data: object) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(claims: object, header: object = None) -> str:
    header = {"alg": "ES256", "typ": "JWT"} if header is None else header
    return f"{_b64(header)}.{_b64(claims)}.{_b64(b'x' * 64)}"


def test_personal_token_claims_are_read() -> None:
    exp = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    token = make_token(
        acc=ACC_PERSONAL,
        categories=("statistics", "analytics", "content"),
        read_only=True,
        exp=exp,
        sid="seller-1",
        token_id="token-1",
    )
    info = inspect_token(token)
    assert info.token_type is TokenType.PERSONAL
    assert info.categories == {Category.STATISTICS, Category.ANALYTICS, Category.CONTENT}
    assert info.read_only
    assert info.expires_at == exp
    assert info.seller_id == "seller-1"
    assert info.token_id == "token-1"
    assert not info.is_test
    assert info.has(Category.STATISTICS)
    assert not info.has(Category.MARKETPLACE)
    assert info.missing(Category.STATISTICS, Category.MARKETPLACE) == {Category.MARKETPLACE}


@pytest.mark.parametrize(
    ("acc", "token_type"),
    [
        (ACC_BASE, TokenType.BASE),
        (ACC_TEST, TokenType.TEST),
        (ACC_PERSONAL, TokenType.PERSONAL),
        (ACC_SERVICE, TokenType.SERVICE),
    ],
)
def test_token_type_comes_from_acc(acc: int, token_type: TokenType) -> None:
    info = inspect_token(make_token(acc=acc))
    assert info.token_type is token_type
    assert info.is_test == (token_type is TokenType.TEST)


def test_write_access_token_is_not_read_only() -> None:
    assert not inspect_token(make_token(read_only=False)).read_only


def test_every_category_bit_is_understood() -> None:
    info = inspect_token(make_token(categories=tuple(CATEGORY_BITS)))
    assert info.categories == frozenset(Category)


def test_bearer_prefix_whitespace_and_line_breaks_are_ignored() -> None:
    token = make_token()
    broken = token[:40] + "\n" + token[40:]
    assert inspect_token(f"  Bearer {broken}\n") == inspect_token(token)


def test_expiry_is_utc_aware_and_checked() -> None:
    info = inspect_token(make_token(exp=datetime.now(UTC) - timedelta(days=1)))
    assert info.expires_at is not None and info.expires_at.tzinfo is not None
    assert info.expired(datetime.now(UTC))
    fresh = inspect_token(make_token())
    assert not fresh.expired(datetime.now(UTC))


def test_token_without_exp_never_expires() -> None:
    info = inspect_token(_jwt({"acc": 1, "s": 32}))
    assert info.expires_at is None
    assert not info.expired(datetime.now(UTC))


def test_old_style_key_is_recognised() -> None:
    with pytest.raises(OldStyleKey):
        inspect_token(OLD_STYLE_KEY)


def test_a_plain_uuid_is_not_taken_for_an_old_style_key() -> None:
    with pytest.raises(TokenError) as caught:
        inspect_token("465b77e1-af24-4dd5-8e08-62b343029fac")
    assert not isinstance(caught.value, OldStyleKey)


def test_old_style_hex_key_is_recognised() -> None:
    with pytest.raises(OldStyleKey):
        inspect_token("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "/connect", "12345", "a.b.c", "eyJhbGciOi", "not a token at all"],
)
def test_garbage_is_malformed(text: str) -> None:
    with pytest.raises(MalformedToken):
        inspect_token(text)


@pytest.mark.parametrize(
    ("claims", "reason_part"),
    [
        ({"s": 32}, "acc"),
        ({"acc": 7, "s": 32}, "acc"),
        ({"acc": True, "s": 32}, "acc"),
        ({"acc": "1", "s": 32}, "acc"),
        ({"acc": 1}, "s"),
        ({"acc": 1, "s": "32"}, "s"),
        ({"acc": 1, "s": -1}, "s"),
        ({"acc": 1, "s": 32, "exp": "tomorrow"}, "exp"),
        ({"acc": 1, "s": 32, "exp": 10**30}, "exp"),
        ([1, 2, 3], "object"),
    ],
)
def test_jwt_without_the_wb_claims_is_malformed(claims: object, reason_part: str) -> None:
    with pytest.raises(MalformedToken) as caught:
        inspect_token(_jwt(claims))
    assert reason_part in caught.value.reason


def test_jwt_with_undecodable_payload_is_malformed() -> None:
    header = _b64({"alg": "ES256"})
    for payload in ("!!!!", _b64(b"\xff\xfe not json"), _b64(b"{not json")):
        with pytest.raises(MalformedToken):
            inspect_token(f"{header}.{payload}.sig")


def test_jwt_without_signature_is_malformed() -> None:
    token = make_token()
    with pytest.raises(MalformedToken):
        inspect_token(token.rsplit(".", 1)[0] + ".")


def test_overlong_text_is_malformed() -> None:
    with pytest.raises(MalformedToken):
        inspect_token("eyJ" + "a" * 10_000)


def test_token_errors_never_contain_the_token() -> None:
    secret_claims = {"acc": 9, "s": 32, "sid": "c0ffee00-secret"}
    bad = _jwt(secret_claims)
    cases = [bad, OLD_STYLE_KEY, bad.split(".")[1], make_token()[:-200] + "!!"]
    for text in cases:
        with pytest.raises(TokenError) as caught:
            inspect_token(text)
        shown = f"{caught.value} {caught.value!r} {caught.value.reason}"
        for part in [text, *text.split(".")]:
            if len(part) >= 8:
                assert part not in shown
        assert "c0ffee00" not in shown


def test_token_info_holds_no_part_of_the_token() -> None:
    token = make_token()
    shown = repr(inspect_token(token))
    for part in token.split("."):
        assert part not in shown


def test_looks_like_token_finds_a_jwt_inside_a_message() -> None:
    token = make_token()
    assert looks_like_token(f"вот мой ключ: {token} спасибо")
    assert looks_like_token(f"/connect {token}")


def test_looks_like_token_finds_an_old_style_key_inside_a_message() -> None:
    assert looks_like_token(f"ключ {OLD_STYLE_KEY}.")
    assert looks_like_token(OLD_STYLE_KEY)


@pytest.mark.parametrize(
    "text",
    [
        "привет, как дела?",
        "/report week",
        "/report 2026-01-01 2026-01-31",
        "заказ 5872081921843387608.0.0 отменён",
        "srid 11.rf9ef11fce1684117b0nhj96222982382.3.0",
        "https://www.wildberries.ru/catalog/198628845/detail.aspx?targetUrl=GP",
        "https://example.com/aaaaaaaaaa1111111111bbbbbbbbbb2222222222/x",
        "штрихкод 2037401340280, артикул G06293236533866",
        "seller 465b77e1-af24-4dd5-8e08-62b343029fac asked",  # a plain UUID is no key
        "they Jane went. Then they left. Okay.",  # "eyJanewent.Then..." without the spaces
        "артикулы:\nG062932365338661\nG062932365338662\nG062932365338663",
        "GTIN-4607177450020\nEAN-4607177450021\nGTIN-4607177450022",
        "9f86d081884c7d65\n9a2feaa0c55ad015\nzz",  # hex lines that join into no whole key
        "\u200b\u2060\ufeff",
        "a" * 100,
        "",
    ],
)
def test_looks_like_token_ignores_ordinary_text(text: str) -> None:
    assert not looks_like_token(text)


@given(st.text(max_size=300))
def test_inspect_token_only_ever_raises_token_errors(text: str) -> None:
    try:
        info = inspect_token(text)
    except TokenError:
        return
    assert isinstance(info.token_type, TokenType)


@given(
    acc=st.sampled_from([ACC_BASE, ACC_TEST, ACC_PERSONAL, ACC_SERVICE]),
    categories=st.sets(st.sampled_from(sorted(CATEGORY_BITS))),
    read_only=st.booleans(),
)
def test_any_minted_token_reads_back(acc: int, categories: set[str], read_only: bool) -> None:
    token = make_token(acc=acc, categories=categories, read_only=read_only)
    info = inspect_token(token)
    assert info.token_type == acc
    assert {c.value for c in info.categories} == {CATEGORY_BITS[c] for c in categories}
    assert info.read_only == read_only
    assert looks_like_token(token)


@given(st.dictionaries(st.text(max_size=5), st.none() | st.booleans() | st.integers() | st.text()))
def test_any_claims_give_info_or_malformed(claims: dict[str, object]) -> None:
    try:
        inspect_token(_jwt(claims))
    except MalformedToken:
        pass


def _wrap(text: str, width: int, sep: str = "\n") -> str:
    return sep.join(text[i : i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize(
    "disguise",
    [
        lambda k: _wrap(k, 30),  # a narrow screen
        lambda k: _wrap(k, 7, " "),
        lambda k: _wrap(k, 5, "\u200b"),
        lambda k: _wrap(k, 11, "\u2060\u00ad\u200e"),
        lambda k: f"my key:{_wrap(k, 40, chr(10) + chr(32))} thanks",
        lambda k: f"/connect@OtherBot mykey{k}thanks",  # glued: an ES256 signature is 86
        lambda k: "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in k),  # full width
        lambda k: f"<code>{_wrap(k, 50)}</code>",
        lambda k: "> вот ключ:\n> " + _wrap(k, 30, "\n> "),  # a quoted paste
        lambda k: ">> " + _wrap(k, 40, "\n>>"),  # quoted twice, no space after the marks
    ],
)
def test_a_disguised_key_is_found_whole(disguise) -> None:
    token = make_token()
    assert find_key(disguise(token)) == token
    assert looks_like_token(disguise(token))


def test_an_old_key_wrapped_over_lines_is_found_and_its_pieces_are_not() -> None:
    assert find_key(f"ключ:\n{OLD_STYLE_KEY[:20]}\n{OLD_STYLE_KEY[20:]}") == OLD_STYLE_KEY
    hex_key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert find_key(_wrap(hex_key, 16)) == hex_key
    assert find_key(f"{OLD_STYLE_KEY[:20]}\nи ещё\n{OLD_STYLE_KEY[20:]}") is None


@pytest.mark.parametrize("cut", [1, 18, 30, 47])
def test_an_old_key_split_by_one_space_or_quoted_is_found(cut: int) -> None:
    spaced = f"{OLD_STYLE_KEY[:cut]} {OLD_STYLE_KEY[cut:]}"
    assert find_key(spaced) == OLD_STYLE_KEY
    assert find_key(f"мой ключ: {spaced}.") == OLD_STYLE_KEY
    assert find_key(f"> ключ:\n> {OLD_STYLE_KEY[:24]}\n> {OLD_STYLE_KEY[24:]}") == OLD_STYLE_KEY


@pytest.mark.parametrize(
    "text",
    [
        f"{OLD_STYLE_KEY[:20]} и {OLD_STYLE_KEY[20:]}",  # two pieces, a word between
        f"{OLD_STYLE_KEY[:20]}  {OLD_STYLE_KEY[20:]}x",  # joined it is no UUID
        "> привет, как дела?\n> всё хорошо",
        "> артикулы 4607177450020 4607177450021 4607177450022",
        "коды abc123 def456 и 9f86d081884c 7d659a2f",
    ],
)
def test_ordinary_text_split_by_spaces_or_quoted_is_no_key(text: str) -> None:
    assert find_key(text) is None


def test_visible_text_drops_what_no_reader_sees() -> None:
    assert visible_text("e\u200by\u2060J\ufeff\u00ad\u202e\u034fx") == "eyJx"
    assert visible_text("ａ\u00a0b\u2800c") == "a b c"

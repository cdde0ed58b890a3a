import logging

from bot.logs import SecretMask

BOT_TOKEN = "1234567890:AAHcanaryCanaryCanaryCanaryCanary123"
JWT = "eyJhbGciOiJFUzI1NiJ9.eyJhY2MiOjEsInMiOjMyfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _record(msg, *args, exc=None):
    rec = logging.LogRecord("aiohttp.client", logging.ERROR, __file__, 1, msg, args, exc)
    return rec


def test_bot_token_in_a_url_is_masked():
    mask = SecretMask()
    rec = _record("GET https://api.telegram.org/bot%s/getUpdates failed", BOT_TOKEN)
    mask.filter(rec)
    assert BOT_TOKEN not in rec.getMessage()
    assert "/bot***/getUpdates" in rec.getMessage()


def test_jwt_in_exception_text_is_masked():
    mask = SecretMask()
    try:
        raise ValueError(f"bad header Authorization: {JWT}")
    except ValueError:
        import sys

        rec = _record("request failed", exc=sys.exc_info())
    mask.filter(rec)
    assert JWT not in rec.getMessage()
    assert "ValueError" in rec.getMessage()


def test_registered_secret_of_any_shape_is_masked():
    mask = SecretMask(["s3cr3t-value-xyz"])
    rec = _record("value=%s", "s3cr3t-value-xyz")
    mask.filter(rec)
    assert rec.getMessage() == "value=***"


def test_a_key_in_disguise_withholds_the_record():
    """Zero-width characters or line breaks inside a key defeat the plain pattern; what is
    left of the record must not carry the key anyway."""
    from tests.fakes.tokens import make_token

    token = make_token()
    signature = token.rsplit(".", 1)[1]
    laced = "\u200b".join(token[:60]) + token[60:200] + "\n" + token[200:]
    mask = SecretMask()
    for text in (f"text was {laced!s}", f"{token[:150]}\n  {token[150:]}"):
        rec = _record("handler failed on %s", text)
        mask.filter(rec)
        message = rec.getMessage()
        assert signature not in "".join(message.split()).replace("\u200b", "")
        assert "withheld" in message


def test_ordinary_lines_are_left_alone():
    mask = SecretMask()
    rec = _record("Update id=%s is handled. Duration %d ms; they Jane went. Then", 5, 12)
    mask.filter(rec)
    assert rec.getMessage() == "Update id=5 is handled. Duration 12 ms; they Jane went. Then"

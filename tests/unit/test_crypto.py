import base64
import os
import stat

import pytest

from bot.crypto import (
    CryptoError,
    Keyring,
    MasterKeyError,
    aad_for,
    load_keyring,
    new_key,
    parse_keys,
)


def test_sealed_token_opens_only_for_its_own_row():
    ring = Keyring([os.urandom(32)])
    sealed = ring.seal("canary-token", aad_for(1, "seller-a"))
    assert ring.open(sealed, aad_for(1, "seller-a")) == "canary-token"
    with pytest.raises(CryptoError):
        ring.open(sealed, aad_for(2, "seller-a"))
    with pytest.raises(CryptoError):
        ring.open(sealed, aad_for(1, "seller-b"))


def test_ciphertext_does_not_contain_the_plaintext():
    ring = Keyring([os.urandom(32)])
    sealed = ring.seal("PLAINTEXT-CANARY", aad_for(1, "s"))
    assert b"PLAINTEXT-CANARY" not in sealed.ciphertext


def test_old_key_still_opens_after_a_new_key_is_put_first():
    old, new = os.urandom(32), os.urandom(32)
    sealed = Keyring([old]).seal("t", aad_for(1, "s"))
    ring = Keyring([new, old])
    assert ring.open(sealed, aad_for(1, "s")) == "t"
    assert ring.seal("t", aad_for(1, "s")).key_id == ring.primary_id != sealed.key_id


def test_unknown_key_is_a_clear_error():
    sealed = Keyring([os.urandom(32)]).seal("t", aad_for(1, "s"))
    with pytest.raises(CryptoError, match="not configured"):
        Keyring([os.urandom(32)]).open(sealed, aad_for(1, "s"))


def test_generated_master_key_file_is_private_and_reused(tmp_path):
    ring = load_keyring(None, tmp_path)
    path = tmp_path / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(None, tmp_path).primary_id == ring.primary_id


def test_master_keys_from_environment_value():
    a, b = new_key(), new_key()
    ring = load_keyring(f"{a}, {b}", None)  # type: ignore[arg-type]
    assert len(ring.key_ids) == 2
    assert base64.b64decode(a) and parse_keys(a)


def test_bad_master_keys_are_refused_without_echoing_them():
    with pytest.raises(CryptoError) as err:
        parse_keys("not base64 at all!!")
    assert "not base64 at all" not in str(err.value)
    with pytest.raises(CryptoError, match="32 bytes"):
        Keyring([b"short"])


def test_a_missing_key_file_is_not_made_when_the_caller_says_no(tmp_path):
    with pytest.raises(MasterKeyError, match=r"master\.key is missing and MASTER_KEYS is not set"):
        load_keyring(None, tmp_path, create=False)
    assert not (tmp_path / "master.key").exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [("", "holds no key"), ("###canary###", "not base64"), (new_key()[:12], "32 bytes")],
)
def test_a_damaged_key_file_is_named_without_echoing_it(tmp_path, content, reason):
    (tmp_path / "master.key").write_text(content)
    with pytest.raises(MasterKeyError) as err:
        load_keyring(None, tmp_path)
    message = str(err.value)
    assert message.startswith(f"the master key file {tmp_path / 'master.key'} is not a valid")
    assert reason in message and "\n" not in message
    assert not content or content not in message


def test_bad_master_keys_name_the_variable():
    with pytest.raises(MasterKeyError, match=r"^MASTER_KEYS is not usable: .*32 bytes"):
        load_keyring(new_key()[:12], None)  # type: ignore[arg-type]

"""Telegram's limits as token buckets: pure arithmetic, no waiting."""

from __future__ import annotations

from bot.config import Settings
from bot.notify.throttle import STORM_COUNT, Throttle, TokenBucket


def test_bucket_allows_its_burst_then_refills_at_its_rate():
    bucket = TokenBucket(rate=2.0, burst=2.0)
    for _ in range(2):
        assert bucket.wait(0.0) == 0.0
        bucket.take(0.0)
    assert bucket.wait(0.0) == 0.5
    assert bucket.wait(0.5) == 0.0


def _sends_in(throttle: Throttle, chat_ids: list[int], seconds: float, step: float = 0.01) -> int:
    """Simulates a greedy sender: every step, each chat sends when both buckets allow."""
    sent, now = 0, 0.0
    while now < seconds:
        for chat in chat_ids:
            if throttle.chat_wait(chat, now) == 0 and throttle.global_wait(now) == 0:
                throttle.take(chat, now)
                sent += 1
        now += step
    return sent


def test_a_private_chat_gets_at_most_one_message_a_second():
    assert _sends_in(Throttle(global_rate=25), [42], 10.0) <= 11


def test_a_group_gets_at_most_twenty_messages_a_minute():
    assert _sends_in(Throttle(global_rate=25), [-1001], 60.0) <= 21


def test_many_chats_together_stay_under_the_global_rate():
    sent = _sends_in(Throttle(global_rate=25), list(range(1, 500)), 10.0)
    assert 240 <= sent <= 25 * 10 + 5


def test_the_apps_rate_drains_a_backlog_at_27_a_second_within_telegrams_30():
    rate = Settings.model_fields["send_rate_per_second"].default
    sent = _sends_in(Throttle(global_rate=rate), list(range(1, 200)), 10.0)
    assert 27 * 10 <= sent <= 30 * 10


def test_retry_after_pauses_that_chat_only_until_many_come():
    throttle = Throttle(global_rate=25)
    assert throttle.retry_after(1, 3.0, now=0.0) is False
    assert throttle.chat_wait(1, 1.0) >= 2.0
    assert throttle.chat_wait(2, 1.0) == 0.0
    for chat in range(STORM_COUNT - 1):
        storm = throttle.retry_after(10 + chat, 3.0, now=1.0)
    assert storm is True
    assert throttle.chat_wait(2, 1.0) >= 2.0 and throttle.global_wait(1.0) >= 2.0

"""Telegram's flood limits as pure arithmetic: token buckets for the whole bot and per chat.

Nothing here sleeps or reads a clock: callers pass `now` (monotonic seconds), so the limits are
unit-tested without waiting. The buckets are kept a little tighter than Telegram's published
numbers (≈30 msg/s in all, 1 msg/s per private chat, 20 msg/min per group) because Telegram's own
accounting is not published exactly and a 429 costs more than a slightly slower drain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PRIVATE_RATE = 1.0  # messages per second into one private chat
PRIVATE_BURST = 1.0
GROUP_RATE = 20.0 / 60.0  # messages per second into one group
GROUP_BURST = 1.0
GLOBAL_BURST = 5.0
# Several 429s close together mean our idea of the limits is wrong: stop everything a while.
STORM_COUNT = 3
STORM_WINDOW = 10.0


@dataclass
class TokenBucket:
    """`burst` tokens, refilled continuously at `rate` per second."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0: now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


def is_group(chat_id: int) -> bool:
    """Telegram's convention: users are positive ids, groups and channels negative."""
    return chat_id < 0


@dataclass
class Throttle:
    """When may the next message go to a chat: the global bucket, the chat's bucket, pauses."""

    global_rate: float
    global_burst: float = GLOBAL_BURST
    chats: dict[int, TokenBucket] = field(default_factory=dict)
    chat_paused: dict[int, float] = field(default_factory=dict)
    paused_until: float = 0.0
    recent_429: list[float] = field(default_factory=list)
    glob: TokenBucket = field(init=False)

    def __post_init__(self) -> None:
        self.glob = TokenBucket(self.global_rate, min(self.global_burst, self.global_rate))

    def _bucket(self, chat_id: int) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if is_group(chat_id):
                bucket = TokenBucket(GROUP_RATE, GROUP_BURST)
            else:
                bucket = TokenBucket(PRIVATE_RATE, PRIVATE_BURST)
            self.chats[chat_id] = bucket
        return bucket

    def chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds until this chat may get a message, ignoring the global bucket."""
        paused = max(self.chat_paused.get(chat_id, 0.0), self.paused_until) - now
        return max(paused, self._bucket(chat_id).wait(now), 0.0)

    def global_wait(self, now: float) -> float:
        return max(self.paused_until - now, self.glob.wait(now), 0.0)

    def take(self, chat_id: int, now: float) -> None:
        """Spends a token of both buckets: call only when both waits are 0."""
        self.glob.take(now)
        self._bucket(chat_id).take(now)

    def retry_after(self, chat_id: int, seconds: float, now: float) -> bool:
        """Telegram said "retry after": pause that chat, and everything if 429s keep coming.

        Returns True when the pause became global.
        """
        until = now + seconds
        self.chat_paused[chat_id] = max(self.chat_paused.get(chat_id, 0.0), until)
        # The bucket is empty as far as Telegram is concerned; refill from zero after the pause.
        bucket = self._bucket(chat_id)
        bucket.tokens, bucket.stamp = 0.0, until
        self.recent_429 = [t for t in self.recent_429 if now - t < STORM_WINDOW] + [now]
        if len(self.recent_429) >= STORM_COUNT:
            self.paused_until = max(self.paused_until, until)
            return True
        return False

    def forget(self, now: float) -> None:
        """Drops state of idle chats so memory stays bounded with thousands of chats."""
        self.chats = {c: b for c, b in self.chats.items() if not b.full(now)}
        self.chat_paused = {c: t for c, t in self.chat_paused.items() if t > now}

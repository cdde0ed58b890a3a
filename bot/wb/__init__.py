"""Everything that speaks to Wildberries, and nothing else does.

``methods`` is the method table (hosts, paths, categories, limits per token type); ``token`` reads
a key's claims; ``limiter`` keeps the per-(shop, group) budgets; ``client`` makes the calls;
``models`` turns WB JSON into typed rows.
"""

from bot.wb.client import (
    WBBadRequest,
    WBBadResponse,
    WBClient,
    WBError,
    WBForbidden,
    WBRateLimited,
    WBResponse,
    WBServerError,
    WBTimeout,
    WBUnauthorized,
)
from bot.wb.limiter import Bucket, BucketState, Limiter, WaitTooLong
from bot.wb.methods import METHODS, Category, Limit, Method, TokenType, limit_for, poll_period
from bot.wb.token import (
    MalformedToken,
    OldStyleKey,
    TokenError,
    TokenInfo,
    inspect_token,
    looks_like_token,
)

__all__ = [
    "METHODS",
    "Bucket",
    "BucketState",
    "Category",
    "Limit",
    "Limiter",
    "MalformedToken",
    "Method",
    "OldStyleKey",
    "TokenError",
    "TokenInfo",
    "TokenType",
    "WBBadRequest",
    "WBBadResponse",
    "WBClient",
    "WBError",
    "WBForbidden",
    "WBRateLimited",
    "WBResponse",
    "WBServerError",
    "WBTimeout",
    "WBUnauthorized",
    "WaitTooLong",
    "inspect_token",
    "limit_for",
    "looks_like_token",
    "poll_period",
]

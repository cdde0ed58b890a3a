"""The sync rig of tests/sync (the real engine, client, limiter and store against the fake)."""

from tests.sync.conftest import rig

__all__ = ["rig"]

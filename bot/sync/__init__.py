"""Polling WB: when each (shop, job) is due, incremental fetch, events into the outbox."""

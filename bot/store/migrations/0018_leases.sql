-- Work shared between processes (bot/store/leases.py). A poll or a delivery is claimed by one
-- process (`claimed_by`, its worker id) until `lease_until`; a process that dies loses its
-- claims when they run out, and another takes the work over.
ALTER TABLE polls ADD COLUMN claimed_by TEXT;
ALTER TABLE polls ADD COLUMN lease_until REAL;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until REAL;

-- A role one process holds at a time (the outbox sender, the one taking Telegram updates),
-- renewed while it lives.
CREATE TABLE roles (
    name                TEXT    PRIMARY KEY,
    holder              TEXT    NOT NULL,
    lease_until         REAL    NOT NULL
) WITHOUT ROWID;

-- A periodic job's run for one period (job 'summaries', period '2026-12-07T10:20:40'): claimed
-- by one process, so N processes run it once; `done_at` once it ended, else a lapsed lease
-- lets another process run it.
CREATE TABLE scheduled_runs (
    job                 TEXT    NOT NULL,
    period              TEXT    NOT NULL,
    claimed_by          TEXT    NOT NULL,
    lease_until         REAL    NOT NULL,
    done_at             REAL,
    PRIMARY KEY (job, period)
) WITHOUT ROWID;

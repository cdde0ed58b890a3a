-- WB Pulse schema. Instants are UTC unix seconds (REAL or INTEGER); WB's own cursor strings
-- (lastChangeDate, Moscow time) are kept verbatim because WB wants them back as they came.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,          -- Telegram user id
    language            TEXT,                         -- chosen by the user; NULL: from Telegram
    tg_language         TEXT,                         -- Telegram's language_code, last seen
    timezone            TEXT    NOT NULL,
    summary_time        TEXT    NOT NULL DEFAULT '09:00',
    alert_orders        INTEGER NOT NULL DEFAULT 1,
    alert_cancels       INTEGER NOT NULL DEFAULT 1,
    alert_buyouts       INTEGER NOT NULL DEFAULT 1,
    alert_returns       INTEGER NOT NULL DEFAULT 1,
    alert_stock         INTEGER NOT NULL DEFAULT 1,
    alert_summary       INTEGER NOT NULL DEFAULT 1,
    photos              INTEGER NOT NULL DEFAULT 1,
    stock_horizon_days  INTEGER NOT NULL DEFAULT 7,
    quiet_start         TEXT,                         -- 'HH:MM' local; NULL: no quiet hours
    quiet_end           TEXT,
    last_summary_day    TEXT,                         -- local date of the last daily summary
    created_at          REAL    NOT NULL
);

-- Chats the bot sends to: blocked chats get nothing until they come back.
CREATE TABLE chats (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT    NOT NULL DEFAULT 'private',
    blocked_at          REAL,
    migrated_to         INTEGER,
    updated_at          REAL    NOT NULL
);

CREATE TABLE shops (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id           TEXT    NOT NULL UNIQUE,      -- the token's `sid` claim
    name                TEXT    NOT NULL,
    token_key_id        TEXT,                         -- which master key sealed the token
    token_nonce         BLOB,
    token_sealed        BLOB,
    token_fingerprint   TEXT,                         -- sha256 prefix: tells keys apart, reveals nothing
    token_type          INTEGER,
    token_categories    INTEGER NOT NULL DEFAULT 0,   -- bitmask of WB categories (1 << bit)
    token_read_only     INTEGER NOT NULL DEFAULT 1,
    token_expires_at    REAL,
    state               TEXT    NOT NULL DEFAULT 'active'
                        CHECK (state IN ('active', 'dead', 'disconnected')),
    dead_reason         TEXT,
    dead_at             REAL,
    alert_chat_id       INTEGER,                      -- NULL: every member's private chat
    baseline_done       INTEGER NOT NULL DEFAULT 0,
    connected_at        REAL    NOT NULL,
    updated_at          REAL    NOT NULL
);

CREATE TABLE memberships (
    user_id             INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    shop_id             INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    role                TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    created_at          REAL    NOT NULL,
    PRIMARY KEY (user_id, shop_id)
) WITHOUT ROWID;
CREATE INDEX memberships_shop ON memberships(shop_id);

CREATE TABLE invites (
    code                TEXT    PRIMARY KEY,
    shop_id             INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    created_by          INTEGER NOT NULL,
    expires_at          REAL    NOT NULL,
    used_by             INTEGER,
    used_at             REAL
);

-- Scheduling state per (shop, method): the database, not memory, knows what is due.
CREATE TABLE polls (
    shop_id             INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    method              TEXT    NOT NULL,
    next_due_at         REAL    NOT NULL,
    last_ok_at          REAL,
    last_error          TEXT,
    last_error_at       REAL,
    failures            INTEGER NOT NULL DEFAULT 0,
    cursor              TEXT,                         -- WB lastChangeDate, verbatim
    newest_change       TEXT,                         -- newest lastChangeDate WB returned
    task                TEXT,                         -- e.g. a pending warehouse_remains task id
    task_started_at     REAL,
    baseline_done       INTEGER NOT NULL DEFAULT 0,   -- the first, silent load is complete
    PRIMARY KEY (shop_id, method)
) WITHOUT ROWID;
CREATE INDEX polls_due ON polls(next_due_at);

-- What the bot knows of WB's budget per (shop, limiter group), so a restart never calls sooner.
CREATE TABLE wb_budget (
    shop_id             INTEGER NOT NULL,
    grp                 TEXT    NOT NULL,
    tokens              REAL    NOT NULL,
    updated             REAL    NOT NULL,
    blocked_until       REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (shop_id, grp)
) WITHOUT ROWID;

CREATE TABLE orders (
    shop_id             INTEGER NOT NULL,
    srid                TEXT    NOT NULL,
    ts                  INTEGER NOT NULL,             -- order time, UTC
    last_change         TEXT,
    nm_id               INTEGER NOT NULL,
    supplier_article    TEXT    NOT NULL DEFAULT '',
    barcode             TEXT    NOT NULL DEFAULT '',
    tech_size           TEXT    NOT NULL DEFAULT '',
    subject             TEXT    NOT NULL DEFAULT '',
    brand               TEXT    NOT NULL DEFAULT '',
    category            TEXT    NOT NULL DEFAULT '',
    warehouse           TEXT    NOT NULL DEFAULT '',
    warehouse_type      TEXT    NOT NULL DEFAULT '',
    region              TEXT    NOT NULL DEFAULT '',
    oblast              TEXT    NOT NULL DEFAULT '',
    country             TEXT    NOT NULL DEFAULT '',
    total_price         REAL    NOT NULL DEFAULT 0,
    discount_percent    REAL    NOT NULL DEFAULT 0,
    spp                 REAL    NOT NULL DEFAULT 0,
    finished_price      REAL    NOT NULL DEFAULT 0,
    price_with_disc     REAL    NOT NULL DEFAULT 0,
    is_cancel           INTEGER NOT NULL DEFAULT 0,
    cancel_ts           INTEGER,
    g_number            TEXT    NOT NULL DEFAULT '',
    source              TEXT    NOT NULL DEFAULT 'statistics',
    first_seen          REAL    NOT NULL,
    PRIMARY KEY (shop_id, srid)
) WITHOUT ROWID;
CREATE INDEX orders_time ON orders(shop_id, ts);
CREATE INDEX orders_cancel_time ON orders(shop_id, cancel_ts) WHERE cancel_ts IS NOT NULL;

CREATE TABLE sales (
    shop_id             INTEGER NOT NULL,
    sale_id             TEXT    NOT NULL,
    srid                TEXT    NOT NULL DEFAULT '',
    ts                  INTEGER NOT NULL,
    last_change         TEXT,
    nm_id               INTEGER NOT NULL,
    supplier_article    TEXT    NOT NULL DEFAULT '',
    barcode             TEXT    NOT NULL DEFAULT '',
    tech_size           TEXT    NOT NULL DEFAULT '',
    subject             TEXT    NOT NULL DEFAULT '',
    brand               TEXT    NOT NULL DEFAULT '',
    warehouse           TEXT    NOT NULL DEFAULT '',
    region              TEXT    NOT NULL DEFAULT '',
    total_price         REAL    NOT NULL DEFAULT 0,
    finished_price      REAL    NOT NULL DEFAULT 0,
    price_with_disc     REAL    NOT NULL DEFAULT 0,
    for_pay             REAL    NOT NULL DEFAULT 0,
    is_return           INTEGER NOT NULL DEFAULT 0,
    first_seen          REAL    NOT NULL,
    PRIMARY KEY (shop_id, sale_id)
) WITHOUT ROWID;
CREATE INDEX sales_time ON sales(shop_id, ts);

-- Rollups per shop and UTC hour, kept at ingest: reports in any time zone never scan raw rows.
CREATE TABLE rollup_hours (
    shop_id             INTEGER NOT NULL,
    hour                INTEGER NOT NULL,             -- unix seconds of the UTC hour start
    orders              INTEGER NOT NULL DEFAULT 0,
    orders_sum          REAL    NOT NULL DEFAULT 0,
    cancels             INTEGER NOT NULL DEFAULT 0,
    cancels_sum         REAL    NOT NULL DEFAULT 0,
    buyouts             INTEGER NOT NULL DEFAULT 0,
    buyouts_sum         REAL    NOT NULL DEFAULT 0,
    returns             INTEGER NOT NULL DEFAULT 0,
    returns_sum         REAL    NOT NULL DEFAULT 0,
    for_pay             REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (shop_id, hour)
) WITHOUT ROWID;

CREATE TABLE stock (
    shop_id             INTEGER NOT NULL,
    nm_id               INTEGER NOT NULL,
    barcode             TEXT    NOT NULL DEFAULT '',
    tech_size           TEXT    NOT NULL DEFAULT '',
    warehouse           TEXT    NOT NULL,
    quantity            INTEGER NOT NULL,
    vendor_code         TEXT    NOT NULL DEFAULT '',
    subject             TEXT    NOT NULL DEFAULT '',
    brand               TEXT    NOT NULL DEFAULT '',
    updated_at          REAL    NOT NULL,
    PRIMARY KEY (shop_id, nm_id, barcode, warehouse)
) WITHOUT ROWID;

CREATE TABLE products (
    shop_id             INTEGER NOT NULL,
    nm_id               INTEGER NOT NULL,
    title               TEXT    NOT NULL DEFAULT '',
    vendor_code         TEXT    NOT NULL DEFAULT '',
    brand               TEXT    NOT NULL DEFAULT '',
    subject             TEXT    NOT NULL DEFAULT '',
    photo_url           TEXT,
    updated_at          REAL    NOT NULL,
    PRIMARY KEY (shop_id, nm_id)
) WITHOUT ROWID;

-- Stock alerts the user snoozed or ignored.
CREATE TABLE stock_mutes (
    shop_id             INTEGER NOT NULL,
    nm_id               INTEGER NOT NULL,
    until               REAL,                         -- NULL: ignored for good
    PRIMARY KEY (shop_id, nm_id)
) WITHOUT ROWID;

-- The outbox. UNIQUE(shop_id, kind, ref) is what makes "at most one alert per order, ever" hold.
-- shop_id 0 is for events that belong to a user rather than a shop (the daily summary).
CREATE TABLE events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id             INTEGER NOT NULL,
    kind                TEXT    NOT NULL,
    ref                 TEXT    NOT NULL,
    batch               TEXT,                         -- events found by one poll share a batch
    catch_up            INTEGER NOT NULL DEFAULT 0,   -- found after downtime: digest, not flood
    user_id             INTEGER,                      -- for user-level events
    payload             TEXT    NOT NULL DEFAULT '{}',
    routed              INTEGER NOT NULL DEFAULT 0,   -- deliveries created
    created_at          REAL    NOT NULL,
    UNIQUE (shop_id, kind, ref)
);
CREATE INDEX events_unrouted ON events(routed) WHERE routed = 0;

-- One row per (event, chat): the sender's state machine.
CREATE TABLE deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id            INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    chat_id             INTEGER NOT NULL,
    user_id             INTEGER,                      -- whose settings and language apply
    state               TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'held', 'sending', 'sent', 'dropped')),
    not_before          REAL    NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    attempt_at          REAL,
    sent_at             REAL,
    tg_message_id       INTEGER,
    error               TEXT,
    UNIQUE (event_id, chat_id)
);
CREATE INDEX deliveries_open ON deliveries(state, not_before) WHERE state IN ('pending', 'sending', 'held');

-- Counters of things skipped or refused (bad WB rows, bad user input), for /status and tests.
CREATE TABLE counters (
    name                TEXT    PRIMARY KEY,
    value               INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Liveness: the running bot refreshes this; the Docker HEALTHCHECK reads the file twin.
CREATE TABLE meta (
    key                 TEXT    PRIMARY KEY,
    value               TEXT    NOT NULL
) WITHOUT ROWID;

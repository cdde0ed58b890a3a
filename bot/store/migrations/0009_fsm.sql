-- Where each chat is in a conversation (/connect waiting for the key, /settings waiting for a
-- time zone...), so a restart does not lose it. `key` is aiogram's storage key (bot, chat,
-- user, destiny); `data` is JSON and never holds a WB key.
CREATE TABLE fsm (
    key TEXT PRIMARY KEY,
    state TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL
) WITHOUT ROWID;

-- Money, the seller's side: cost prices and tax (bot/store/costs.py).
--
-- Cost prices per product, each with the day it takes effect; a new price adds a row, so an old
-- period keeps the cost it had. `size` '' is every size of the product (a row with a size wins
-- over it for that size). `effective` is a calendar day, 'YYYY-MM-DD'. Money is in kopecks.
CREATE TABLE costs (
    shop_id             INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    nm_id               INTEGER NOT NULL,
    size                TEXT    NOT NULL DEFAULT '',
    effective           TEXT    NOT NULL,
    kopecks             INTEGER NOT NULL CHECK (kopecks >= 0),
    set_by              INTEGER,                      -- the Telegram user who set it
    set_at              REAL    NOT NULL,
    PRIMARY KEY (shop_id, nm_id, size, effective)
) WITHOUT ROWID;

-- Tax regime and rate per shop, and fixed monthly expenses (rent, salaries, services).
-- rate_bp: the rate in hundredths of a percent (600 = 6 %).
CREATE TABLE shop_money (
    shop_id             INTEGER PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
    tax_regime          TEXT    NOT NULL DEFAULT 'none'
                        CHECK (tax_regime IN ('none', 'usn_income', 'usn_profit', 'vat')),
    rate_bp             INTEGER NOT NULL DEFAULT 0 CHECK (rate_bp >= 0 AND rate_bp <= 10000),
    fixed_monthly       INTEGER NOT NULL DEFAULT 0 CHECK (fixed_monthly >= 0),  -- kopecks
    updated_by          INTEGER,
    updated_at          REAL    NOT NULL
);

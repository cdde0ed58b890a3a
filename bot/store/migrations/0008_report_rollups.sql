-- Daily rollups of orders per product, per warehouse and per region, kept exact at ingest like
-- rollup_hours (bot.store.orders.refresh_rollups recomputes every touched UTC day from the raw
-- rows, and the product weeks from those days). Reports read whole UTC days (and weeks) from
-- here and only the partial days at a period's edges from raw `orders` (bot.store.reports).
-- `day` is the unix second of the UTC day start; a row exists only for a key with orders that
-- day. The numbers are those of the orders definition (orders placed, cancelled ones included,
-- summed at price_with_disc); products keep MAX(supplier_article) and MAX(subject), which is
-- what the report shows for a product over its whole window.

CREATE TABLE rollup_products (
    shop_id             INTEGER NOT NULL,
    day                 INTEGER NOT NULL,             -- unix seconds of the UTC day start
    nm_id               INTEGER NOT NULL,
    orders              INTEGER NOT NULL,
    orders_sum          REAL    NOT NULL,
    supplier_article    TEXT    NOT NULL,             -- MAX over the day's orders
    subject             TEXT    NOT NULL,             -- MAX over the day's orders
    PRIMARY KEY (shop_id, day, nm_id)
) WITHOUT ROWID;

-- The same per UTC week (Monday to Monday), summed from rollup_products: long periods read
-- whole weeks here and only the days around them from rollup_products.
CREATE TABLE rollup_product_weeks (
    shop_id             INTEGER NOT NULL,
    week                INTEGER NOT NULL,             -- unix seconds of Monday 00:00 UTC
    nm_id               INTEGER NOT NULL,
    orders              INTEGER NOT NULL,
    orders_sum          REAL    NOT NULL,
    supplier_article    TEXT    NOT NULL,
    subject             TEXT    NOT NULL,
    PRIMARY KEY (shop_id, week, nm_id)
) WITHOUT ROWID;

CREATE TABLE rollup_warehouses (
    shop_id             INTEGER NOT NULL,
    day                 INTEGER NOT NULL,
    warehouse           TEXT    NOT NULL,
    orders              INTEGER NOT NULL,
    orders_sum          REAL    NOT NULL,
    PRIMARY KEY (shop_id, day, warehouse)
) WITHOUT ROWID;

CREATE TABLE rollup_regions (
    shop_id             INTEGER NOT NULL,
    day                 INTEGER NOT NULL,
    region              TEXT    NOT NULL,
    orders              INTEGER NOT NULL,
    orders_sum          REAL    NOT NULL,
    PRIMARY KEY (shop_id, day, region)
) WITHOUT ROWID;

-- Backfill from the orders already stored (databases in the field predate these tables).
INSERT INTO rollup_products(shop_id, day, nm_id, orders, orders_sum, supplier_article, subject)
SELECT shop_id, CAST(ts AS INTEGER) / 86400 * 86400 AS d, nm_id, COUNT(*),
       SUM(price_with_disc), MAX(supplier_article), MAX(subject)
FROM orders GROUP BY shop_id, d, nm_id;

-- 345600: 1970-01-05, a Monday; 604800: a week.
INSERT INTO rollup_product_weeks(shop_id, week, nm_id, orders, orders_sum, supplier_article,
                                 subject)
SELECT shop_id, (day - 345600) / 604800 * 604800 + 345600 AS w, nm_id, SUM(orders),
       SUM(orders_sum), MAX(supplier_article), MAX(subject)
FROM rollup_products GROUP BY shop_id, w, nm_id;

INSERT INTO rollup_warehouses(shop_id, day, warehouse, orders, orders_sum)
SELECT shop_id, CAST(ts AS INTEGER) / 86400 * 86400 AS d, warehouse, COUNT(*),
       SUM(price_with_disc)
FROM orders GROUP BY shop_id, d, warehouse;

INSERT INTO rollup_regions(shop_id, day, region, orders, orders_sum)
SELECT shop_id, CAST(ts AS INTEGER) / 86400 * 86400 AS d, region, COUNT(*),
       SUM(price_with_disc)
FROM orders GROUP BY shop_id, d, region;

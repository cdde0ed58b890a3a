-- Reports split a period's orders by product, warehouse and region. This index holds every
-- column those queries read, so they scan one index range instead of looking up each order row
-- in the table (measured: tests/bench/bench_reports.py).
CREATE INDEX orders_report ON orders(
    shop_id, ts, nm_id, price_with_disc, warehouse, region, supplier_article, subject
);

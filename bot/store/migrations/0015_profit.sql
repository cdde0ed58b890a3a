-- Profit (bot/store/profit.py): the estimate reads the days no WB report covers yet from the
-- sales per product, size and day. This index holds every column it reads, so it scans one
-- index range instead of looking each sale row up (tests/bench/bench_profit.py).
CREATE INDEX sales_profit ON sales(shop_id, ts, nm_id, tech_size, is_return, price_with_disc,
                                   for_pay);

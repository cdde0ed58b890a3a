-- finance_sums once more per report, product and size (bot.store.finance): a month of profit
-- reads its whole weekly reports here, a row per product and size instead of one per day.
-- first_day and last_day: the days the report's rows fall on (WB dates a row by its operation).
CREATE TABLE finance_report_sums (
    shop_id                    INTEGER NOT NULL,
    period                     TEXT    NOT NULL,
    date_from                  TEXT    NOT NULL,
    date_to                    TEXT    NOT NULL,
    nm_id                      INTEGER NOT NULL,
    ts_name                    TEXT    NOT NULL,
    first_day                  TEXT    NOT NULL,
    last_day                   TEXT    NOT NULL,
    sold                       INTEGER NOT NULL,
    returned                   INTEGER NOT NULL,
    revenue                    INTEGER NOT NULL,
    for_pay                    INTEGER NOT NULL,
    logistics                  INTEGER NOT NULL,
    storage                    INTEGER NOT NULL,
    acceptance                 INTEGER NOT NULL,
    penalties                  INTEGER NOT NULL,
    deductions                 INTEGER NOT NULL,
    additional                 INTEGER NOT NULL,
    deliveries                 INTEGER NOT NULL,
    returns_back               INTEGER NOT NULL,
    PRIMARY KEY (shop_id, period, date_from, date_to, nm_id, ts_name)
) WITHOUT ROWID;

INSERT INTO finance_report_sums
SELECT shop_id, period, date_from, date_to, nm_id, ts_name, MIN(day), MAX(day), SUM(sold),
       SUM(returned), SUM(revenue), SUM(for_pay), SUM(logistics), SUM(storage), SUM(acceptance),
       SUM(penalties), SUM(deductions), SUM(additional), SUM(deliveries), SUM(returns_back)
FROM finance_sums GROUP BY shop_id, period, date_from, date_to, nm_id, ts_name;

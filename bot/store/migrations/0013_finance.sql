-- WB's finance report (POST finance-api /api/finance/v1/sales-reports/detailed, Finance
-- category): every row the seller is paid or charged for, one per (shop, rrd_id), so a page
-- fetched again changes nothing. Money is in kopecks (WB sends strings such as '376.99'; a
-- fraction of a kopeck, the spec's '1.349', is rounded half up once, here).
CREATE TABLE finance_rows (
    shop_id                    INTEGER NOT NULL,
    rrd_id                     INTEGER NOT NULL,  -- WB's rrdId
    report_id                  INTEGER NOT NULL,  -- realizationreport_id (reportId)
    period                     TEXT    NOT NULL CHECK (period IN ('weekly', 'daily')),
    date_from                  TEXT    NOT NULL,  -- the report's period, YYYY-MM-DD (Moscow)
    date_to                    TEXT    NOT NULL,
    rr_date                    TEXT,              -- the operation's date
    kind                       TEXT    NOT NULL,  -- bot.wb.finance.KINDS
    nm_id                      INTEGER NOT NULL,  -- 0 on rows of the whole shop
    sa_name                    TEXT    NOT NULL,  -- the seller's article (vendorCode)
    ts_name                    TEXT    NOT NULL,  -- size (techSize)
    barcode                    TEXT    NOT NULL,
    doc_type                   TEXT    NOT NULL,
    oper                       TEXT    NOT NULL,  -- sellerOperName
    bonus_type                 TEXT    NOT NULL,
    quantity                   INTEGER NOT NULL,
    delivery_amount            INTEGER NOT NULL,  -- deliveries to the buyer
    return_amount              INTEGER NOT NULL,  -- returns from the buyer
    srid                       TEXT    NOT NULL,
    order_dt                   REAL,              -- UTC seconds
    sale_dt                    REAL,
    commission_percent         REAL    NOT NULL DEFAULT 0,
    retail_price               INTEGER NOT NULL DEFAULT 0,
    retail_price_with_disc     INTEGER NOT NULL DEFAULT 0,
    retail_amount              INTEGER NOT NULL DEFAULT 0,
    for_pay                    INTEGER NOT NULL DEFAULT 0,
    sales_commission           INTEGER NOT NULL DEFAULT 0,
    vw                         INTEGER NOT NULL DEFAULT 0,
    vw_nds                     INTEGER NOT NULL DEFAULT 0,
    acquiring_fee              INTEGER NOT NULL DEFAULT 0,
    ppvz_reward                INTEGER NOT NULL DEFAULT 0,
    delivery_service           INTEGER NOT NULL DEFAULT 0,
    penalty                    INTEGER NOT NULL DEFAULT 0,
    additional_payment         INTEGER NOT NULL DEFAULT 0,
    rebill_logistic_cost       INTEGER NOT NULL DEFAULT 0,
    paid_storage               INTEGER NOT NULL DEFAULT 0,
    deduction                  INTEGER NOT NULL DEFAULT 0,
    paid_acceptance            INTEGER NOT NULL DEFAULT 0,
    cashback_amount            INTEGER NOT NULL DEFAULT 0,
    cashback_discount          INTEGER NOT NULL DEFAULT 0,
    cashback_commission_change INTEGER NOT NULL DEFAULT 0,
    installment_cofinancing    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop_id, rrd_id)
) WITHOUT ROWID;
CREATE INDEX finance_rows_report ON finance_rows(shop_id, period, date_from, date_to);
CREATE INDEX finance_rows_srid ON finance_rows(shop_id, srid) WHERE srid != '';

-- finance_rows summed per report, operation day, product and size into the figures profit
-- reads (bot.store.finance.FinanceDay: signed, kopecks), rebuilt for a report whenever its rows
-- change (same transaction). A month of a shop with millions of rows is a few hundred
-- thousand rows here at most, read by the day.
CREATE TABLE finance_sums (
    shop_id                    INTEGER NOT NULL,
    period                     TEXT    NOT NULL,
    date_from                  TEXT    NOT NULL,
    date_to                    TEXT    NOT NULL,
    day                        TEXT    NOT NULL,  -- rr_date, else the report's date_from
    nm_id                      INTEGER NOT NULL,
    ts_name                    TEXT    NOT NULL,
    row_count                  INTEGER NOT NULL,
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
    -- By day first: profit reads a span of days in key order, without a sort.
    PRIMARY KEY (shop_id, day, nm_id, ts_name, period, date_from, date_to)
) WITHOUT ROWID;
CREATE INDEX finance_sums_report ON finance_sums(shop_id, period, date_from, date_to);

-- What the bot asked WB for: a report period ('weekly': one week; 'daily': the days of a span)
-- and how far it got. complete = 1 once WB answered 204 after the last row (rrd_id).
CREATE TABLE finance_periods (
    shop_id                    INTEGER NOT NULL,
    period                     TEXT    NOT NULL CHECK (period IN ('weekly', 'daily')),
    date_from                  TEXT    NOT NULL,
    date_to                    TEXT    NOT NULL,
    rrd_id                     INTEGER NOT NULL DEFAULT 0,
    row_count                  INTEGER NOT NULL DEFAULT 0,
    complete                   INTEGER NOT NULL DEFAULT 0,
    started_at                 REAL    NOT NULL,
    fetched_at                 REAL    NOT NULL,
    completed_at               REAL,
    PRIMARY KEY (shop_id, period, date_from, date_to)
) WITHOUT ROWID;

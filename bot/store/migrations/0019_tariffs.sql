-- WB's commission by subject (GET common-api /api/v1/tariffs/commission, bot/store/tariffs.py):
-- the estimate's fallback for a product whose fees no finance report row has shown yet. One
-- table for every shop (WB's tariff is the same for all), keyed by the subject's Russian name
-- as the cards and the statistics rows name it; percents in basis points.
CREATE TABLE tariff_commission (
    subject             TEXT    PRIMARY KEY,
    subject_id          INTEGER NOT NULL,
    fbw_bp              INTEGER NOT NULL,             -- paidStorageKgvp: from WB's warehouse
    fbs_bp              INTEGER NOT NULL,             -- kgvpMarketplace: from the seller's
    updated_at          REAL    NOT NULL
) WITHOUT ROWID;

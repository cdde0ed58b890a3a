-- Reviews and questions (WB's Feedbacks & Questions category). Each user chooses whether new
-- reviews and questions alert, and which ratings count as negative (at or below the threshold).
ALTER TABLE users ADD COLUMN alert_reviews INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN alert_questions INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN review_threshold INTEGER NOT NULL DEFAULT 3;

-- The unanswered reviews and questions WB listed last (newest first, up to the bot's page):
-- /reviews and the summary's negative count read them. A row WB no longer lists as unanswered
-- gets answered = 1. kind is 'review' or 'question'; rating is NULL for a question.
CREATE TABLE reviews (
    shop_id             INTEGER NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('review', 'question')),
    id                  TEXT    NOT NULL,
    nm_id               INTEGER NOT NULL,
    rating              INTEGER,
    created_at          REAL    NOT NULL,             -- UTC seconds, WB's createdDate
    answered            INTEGER NOT NULL DEFAULT 0,
    payload             TEXT    NOT NULL,             -- what /reviews shows, JSON
    first_seen          REAL    NOT NULL,
    PRIMARY KEY (shop_id, kind, id)
) WITHOUT ROWID;
CREATE INDEX reviews_open ON reviews(shop_id, kind, answered, created_at);

-- WB's own count of every unanswered review and question (countUnanswered), as of `*_at`.
CREATE TABLE review_counts (
    shop_id             INTEGER PRIMARY KEY,
    reviews             INTEGER,
    reviews_at          REAL,
    questions           INTEGER,
    questions_at        REAL
);

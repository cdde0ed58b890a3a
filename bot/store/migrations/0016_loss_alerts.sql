-- Each user chooses whether a product sold at a loss alerts them (bot/money/alerts.py).
ALTER TABLE users ADD COLUMN alert_loss INTEGER NOT NULL DEFAULT 1;

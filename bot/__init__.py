"""WB Pulse: a Telegram bot for Wildberries sellers."""

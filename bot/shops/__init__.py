"""Shops apart from Telegram: what a WB key allows, and connecting a shop with it."""

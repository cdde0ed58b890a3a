"""Persistence: the only place with SQL, one module per thing stored, each owning its SQL:

- users: users and their settings; shops: shops, their sealed keys, members and their alert
  choices; team: routes, private copies and leaving; fsm: conversations under way;
- orders: orders, sales and returns, stored and read raw; rollups: their hourly and daily sums
  and the report queries over them; stock: product cards, the stock snapshot, mutes;
- outbox: events, deliveries and chats; polls: each (shop, job)'s state and WB's budgets;
- reviews, finance, costs, profit: reviews and questions, WB's finance report, cost prices and
  tax, the profit view's rows.

The engine: db (SQLite, and the Database API every module uses), pg (the same API on
PostgreSQL: placeholders, the rendered schema, the pool), engine (which one DATABASE_URL names),
copy (migrate-to-postgres).

The store takes and returns rows of its own types (those WB's rows come in are defined in
bot.rows, which WB's models extend) and imports nothing above it
(tests/unit/test_import_walls.py)."""

from bot.store.db import Database

__all__ = ["Database"]

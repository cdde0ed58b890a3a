-- The name Telegram shows for a user (first and last name, @username), as last seen: /members
-- lists teammates by name rather than by number.
ALTER TABLE users ADD COLUMN display_name TEXT;

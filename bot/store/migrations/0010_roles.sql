-- Roles: the owner decides where a shop's alerts go. alert_chat_by is the user who brought the
-- group route (the owner, or the member whose request the owner approved): removing that member
-- sends the alerts back to private chats. NULL for a route set before roles existed.
ALTER TABLE shops ADD COLUMN alert_chat_by INTEGER;
-- A member who wants a shop's alerts in their own private chat too while the shop's go to a group.
ALTER TABLE memberships ADD COLUMN private_alerts INTEGER NOT NULL DEFAULT 0;

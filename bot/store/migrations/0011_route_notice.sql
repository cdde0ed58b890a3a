-- Before roles any member could send a shop's alerts to their own group (/notify_here), and who
-- did cannot be known now: each owner of a shop whose alerts go to a group is told once, so a
-- route they never chose does not go on unnoticed (bot/notify/team.py, "legacy").
INSERT INTO events(shop_id, kind, ref, batch, payload, created_at)
SELECT id, 'route_changed', 'roles-legacy-route', 'team',
       json_object('actor', 0, 'to', 'group', 'legacy', 1), CAST(strftime('%s', 'now') AS REAL)
FROM shops
WHERE alert_chat_id IS NOT NULL AND alert_chat_by IS NULL AND state != 'disconnected'
ON CONFLICT(shop_id, kind, ref) DO NOTHING;

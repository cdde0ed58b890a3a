-- PostgreSQL's form of 0011_route_notice.sql (SQLite's json_object and strftime are spelled
-- json_build_object and extract(epoch ...) here); the step itself is the same.
INSERT INTO events(shop_id, kind, ref, batch, payload, created_at)
SELECT id, 'route_changed', 'roles-legacy-route', 'team',
       json_build_object('actor', 0, 'to', 'group', 'legacy', 1)::text,
       extract(epoch FROM now())::double precision
FROM shops
WHERE alert_chat_id IS NOT NULL AND alert_chat_by IS NULL AND state != 'disconnected'
ON CONFLICT(shop_id, kind, ref) DO NOTHING;

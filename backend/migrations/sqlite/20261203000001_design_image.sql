-- The manifest's first `image` (a path in the design, or a URL), for pictures on cards. The
-- rows are derived: they are cleared and the catalog replays the log to fill the new column.
ALTER TABLE designs ADD COLUMN image TEXT;
DELETE FROM designs;
DELETE FROM event_cursors WHERE consumer = 'catalog';

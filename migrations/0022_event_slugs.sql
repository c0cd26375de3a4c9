-- A readable name for an event's page, unique within its organizer: /e/{organizer slug}/{event slug}.
ALTER TABLE events ADD COLUMN slug TEXT;
CREATE UNIQUE INDEX events_organizer_slug ON events (organizer_id, slug) WHERE slug IS NOT NULL;

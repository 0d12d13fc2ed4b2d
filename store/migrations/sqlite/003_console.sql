-- The publisher's console: reviews by partner site (the step then fills in the origins of
-- the reviews already stored, as `store::origin_of` reads them), sessions, and where the
-- widget is shown.
ALTER TABLE reviews ADD COLUMN origin TEXT NOT NULL DEFAULT '';
CREATE TABLE admin_sessions (
    id      TEXT PRIMARY KEY,
    csrf    TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE widget_views (
    origin TEXT NOT NULL,
    day    INTEGER NOT NULL,
    feed   INTEGER NOT NULL DEFAULT 0,
    widget INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (origin, day)
);

-- The publisher's console: reviews by partner site (filled in for the reviews already
-- stored, as `store::origin_of` would), sessions, and where the widget is shown.
ALTER TABLE reviews ADD COLUMN origin TEXT NOT NULL DEFAULT '';
UPDATE reviews SET origin = lower(substring(page from '(?i)^(https?://[^/?#]+)'))
    WHERE page ~* '^https?://[^/?#]';
CREATE INDEX reviews_origin ON reviews (origin);
CREATE TABLE admin_sessions (
    id      TEXT PRIMARY KEY,
    csrf    TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE TABLE widget_views (
    origin TEXT NOT NULL,
    day    BIGINT NOT NULL,
    feed   BIGINT NOT NULL DEFAULT 0,
    widget BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (origin, day)
);

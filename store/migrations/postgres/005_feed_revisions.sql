-- Every feed a replica accepted, numbered: a revision only grows, every replica serves the
-- latest byte for byte, and a replica that starts, or comes back, catches up from here.
CREATE TABLE feed_revisions (
    revision     BIGSERIAL PRIMARY KEY,
    etag         TEXT NOT NULL,
    body         BYTEA NOT NULL,
    published_at BIGINT NOT NULL
);

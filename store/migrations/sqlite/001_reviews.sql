-- The reviews. A file from before versioning may have this table without `hidden`, which
-- the step then adds (sqlite.rs).
CREATE TABLE IF NOT EXISTS reviews (
    id         INTEGER PRIMARY KEY,
    key        TEXT UNIQUE,
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    page       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

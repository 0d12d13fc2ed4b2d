-- Every feed the server accepted, numbered: a revision only grows (AUTOINCREMENT never reuses
-- a number, even after the oldest rows are forgotten), and survives a restart.
CREATE TABLE feed_revisions (
    revision     INTEGER PRIMARY KEY AUTOINCREMENT,
    etag         TEXT NOT NULL,
    body         BLOB NOT NULL,
    published_at INTEGER NOT NULL
);

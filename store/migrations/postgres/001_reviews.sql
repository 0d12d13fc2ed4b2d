CREATE TABLE reviews (
    id         BIGSERIAL PRIMARY KEY,
    key        TEXT UNIQUE,
    rating     SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    page       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    hidden     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX reviews_created_at ON reviews (created_at);
CREATE UNLOGGED TABLE rate_windows (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);

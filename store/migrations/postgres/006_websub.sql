-- The WebSub subscriptions this server asked hubs for: the unguessable callback path, and the
-- secret that signs the hub's pushes, here so that a push landing on any replica is verified.
-- A handful at most: the subscriber forgets the ones it no longer needs.
CREATE TABLE websub_subscriptions (
    path       TEXT PRIMARY KEY,
    hub        TEXT NOT NULL,
    topic      TEXT NOT NULL,
    secret     TEXT NOT NULL,
    state      TEXT NOT NULL,
    lease      BIGINT NOT NULL,
    expires    BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The public summary, kept by each write instead of counted by each read: the counts
-- start from the reviews as they are, with writers held off until the triggers that
-- keep them are in place.
LOCK TABLE reviews IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE review_counts (
    shard   SMALLINT NOT NULL,
    rating  SMALLINT NOT NULL,
    visible BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (shard, rating)
);
INSERT INTO review_counts (shard, rating)
    SELECT shard, rating FROM generate_series(0, 15) AS shard, generate_series(1, 5) AS rating;
UPDATE review_counts SET visible = counted.n
    FROM (SELECT rating, COUNT(*) AS n FROM reviews WHERE NOT hidden GROUP BY rating) AS counted
    WHERE review_counts.shard = 0 AND review_counts.rating = counted.rating;
CREATE FUNCTION review_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_counts SET visible = visible + d.k
    FROM (SELECT rating, COUNT(*) AS k FROM new_rows WHERE NOT hidden GROUP BY rating) AS d
    WHERE review_counts.shard = pg_backend_pid() % 16 AND review_counts.rating = d.rating;
    RETURN NULL;
END $$;
CREATE FUNCTION review_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_counts SET visible = visible + d.k
    FROM (SELECT rating, SUM(k) AS k FROM (
              SELECT rating, 1 AS k FROM new_rows WHERE NOT hidden
              UNION ALL SELECT rating, -1 AS k FROM old_rows WHERE NOT hidden) AS c
          GROUP BY rating) AS d
    WHERE review_counts.shard = pg_backend_pid() % 16 AND review_counts.rating = d.rating
      AND d.k <> 0;
    RETURN NULL;
END $$;
CREATE FUNCTION review_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_counts SET visible = visible - d.k
    FROM (SELECT rating, COUNT(*) AS k FROM old_rows WHERE NOT hidden GROUP BY rating) AS d
    WHERE review_counts.shard = pg_backend_pid() % 16 AND review_counts.rating = d.rating;
    RETURN NULL;
END $$;
CREATE TRIGGER reviews_counted_on_insert AFTER INSERT ON reviews
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_inserted();
CREATE TRIGGER reviews_counted_on_update AFTER UPDATE ON reviews
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_updated();
CREATE TRIGGER reviews_counted_on_delete AFTER DELETE ON reviews
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_deleted();

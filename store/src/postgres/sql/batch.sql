-- A batch of reviews, stored in one statement that is a transaction of its own (writer.rs):
-- 1. `counted`: the batch's hits added to their rate windows (windows.sql, put in where
--    the marker is), $1-$3;
-- 2. `over`: each hit whose window's new total passes the highest it may reach for that
--    hit: $11 the hit's review (its number in the batch, from 1), $12-$13 its window, $14
--    that highest total;
-- 3. `stored`: the reviews none of whose hits is over, $4-$10 their columns in batch order,
--    inserted in key order, a key already there left alone.
-- The COUNT of `counted`, evaluated once before the first row whatever the plan, finishes
-- the windows' upsert before any review is inserted: windows first, then keys, each in
-- order, so two replicas' batches wait on each other's rows in the same order and never
-- deadlock. `n` breaks ties: of a key sent twice in one batch, the first review is stored.
-- Rows: (FALSE, key, window start, total) for each window, (TRUE, key, id, 0) for each
-- review stored.
WITH counted AS (
/* windows.sql */
), over AS (
    SELECT q.n
    FROM UNNEST($11::BIGINT[], $12::TEXT[], $13::BIGINT[], $14::BIGINT[])
         AS q (n, key, window_start, most)
    JOIN counted c USING (key, window_start)
    WHERE c.hits > q.most
), stored AS (
    INSERT INTO reviews (key, rating, comment, subject, page, created_at, origin)
    SELECT key, rating, comment, subject, page, created_at, origin
    FROM UNNEST($4::TEXT[], $5::SMALLINT[], $6::TEXT[], $7::TEXT[], $8::TEXT[],
                $9::BIGINT[], $10::TEXT[])
         WITH ORDINALITY AS r (key, rating, comment, subject, page, created_at, origin, n)
    WHERE (SELECT COUNT(*) FROM counted) >= 0 AND r.n NOT IN (SELECT n FROM over)
    ORDER BY key, n
    ON CONFLICT (key) DO NOTHING RETURNING id, key
)
SELECT FALSE, key, window_start, hits FROM counted
UNION ALL SELECT TRUE, key, id, 0 FROM stored

-- Adds hits to their rate windows and returns each window's new total: $1 the windows'
-- keys, $2 their starts, $3 the hits to add. The windows go in key order, so that two
-- replicas' upserts lock the rows they share in the same order. The counter runs it alone
-- (count.rs); the review batch runs it as its first step (batch.sql).
INSERT INTO rate_windows (key, window_start, hits)
SELECT key, window_start, hits
FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[]) AS h (key, window_start, hits)
ORDER BY key, window_start
ON CONFLICT (key, window_start)
DO UPDATE SET hits = rate_windows.hits + EXCLUDED.hits
RETURNING key, window_start, hits

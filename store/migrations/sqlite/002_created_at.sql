-- Key expiry and listings by date.
CREATE INDEX IF NOT EXISTS reviews_created_at ON reviews (created_at);

-- The widget rendered by the server, counted where it is shown.
ALTER TABLE widget_views ADD COLUMN rendered INTEGER NOT NULL DEFAULT 0;

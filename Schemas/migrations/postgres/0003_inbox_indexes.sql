-- Claims find expired leases through the (status, next_attempt_at) index (few rows are ever
-- 'processing'), so the separate lease index only cost a B-tree update on every insert.
DROP INDEX idx_inbox_lease;

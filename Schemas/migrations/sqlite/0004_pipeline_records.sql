-- Kept in step with the PostgreSQL 0004, which makes the pipeline ids text as they already are here.

-- actionRecords(inboxId:) reads the actions of one inbox row in id order.
CREATE INDEX idx_action_records_inbox ON action_records (inbox_id, id);

-- The pipeline names its rows after the email (`proc-<email id>`, `cls-<email id>`,
-- `esc-<email id>`, and `pat-<hash>` for a pattern), so those ids are text, as in SQLite.
-- performance_metrics keeps its UUID ids.
ALTER TABLE classification_results ALTER COLUMN id DROP DEFAULT;
ALTER TABLE classification_results ALTER COLUMN id TYPE TEXT USING id::text;
ALTER TABLE classification_results ALTER COLUMN id SET DEFAULT gen_random_uuid()::text;

ALTER TABLE processing_results ALTER COLUMN id DROP DEFAULT;
ALTER TABLE processing_results ALTER COLUMN id TYPE TEXT USING id::text;
ALTER TABLE processing_results ALTER COLUMN id SET DEFAULT gen_random_uuid()::text;

ALTER TABLE escalation_teams ALTER COLUMN id DROP DEFAULT;
ALTER TABLE escalation_teams ALTER COLUMN id TYPE TEXT USING id::text;
ALTER TABLE escalation_teams ALTER COLUMN id SET DEFAULT gen_random_uuid()::text;

ALTER TABLE email_patterns ALTER COLUMN id DROP DEFAULT;
ALTER TABLE email_patterns ALTER COLUMN id TYPE TEXT USING id::text;
ALTER TABLE email_patterns ALTER COLUMN id SET DEFAULT gen_random_uuid()::text;

-- actionRecords(inboxId:) reads the actions of one inbox row in id order.
CREATE INDEX idx_action_records_inbox ON action_records (inbox_id, id);

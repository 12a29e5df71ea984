-- Claims look up due rows per kind in due order: (status, kind, next_attempt_at) answers
-- "the first N due rows of this kind" without reading the backlog, whatever its size and
-- whichever kinds no processor takes. It replaces (status, next_attempt_at), whose prefix it keeps.
DROP INDEX idx_inbox_status_next;
CREATE INDEX idx_inbox_claim ON inbox (status, kind, next_attempt_at);

-- A completion records its email's subject pattern here (an insert, which contends with
-- nothing) instead of merging it into email_patterns, whose rows every completion of a pattern
-- waited on. The pattern folder merges these rows into email_patterns and deletes them in one
-- transaction, so each is counted exactly once.
-- vocabulary: pattern_observations.pattern_type = subject
-- vocabulary: pattern_observations.category = PURCHASING | SUPPORT | INFORMATION | ESCALATION | CONSULTATION
CREATE TABLE pattern_observations (
    id                    BIGSERIAL PRIMARY KEY,
    pattern_id            TEXT NOT NULL,
    pattern_type          TEXT NOT NULL,
    description           TEXT NOT NULL,
    pattern_signature     TEXT,
    email_id              TEXT NOT NULL,
    category              TEXT NOT NULL,
    sender_domain         TEXT,
    seen_at               TIMESTAMPTZ NOT NULL,
    automation_potential  DOUBLE PRECISION NOT NULL,
    confidence            DOUBLE PRECISION NOT NULL
);

-- A completion records its email's subject pattern here instead of merging it into
-- email_patterns; the pattern folder merges these rows into email_patterns and deletes them in
-- one transaction, so each is counted exactly once (see the PostgreSQL migration for why).
-- vocabulary: pattern_observations.pattern_type = subject
-- vocabulary: pattern_observations.category = PURCHASING | SUPPORT | INFORMATION | ESCALATION | CONSULTATION
CREATE TABLE pattern_observations (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    pattern_id            TEXT NOT NULL,
    pattern_type          TEXT NOT NULL,
    description           TEXT NOT NULL,
    pattern_signature     TEXT,
    email_id              TEXT NOT NULL,
    category              TEXT NOT NULL,
    sender_domain         TEXT,
    seen_at               TEXT NOT NULL,
    automation_potential  REAL NOT NULL,
    confidence            REAL NOT NULL
);

-- People's verdicts on classifications (POST /analytics/feedback); several per email may exist,
-- the latest counts.
-- vocabulary: classification_feedback.rating = correct | partial | wrong
-- vocabulary: classification_feedback.correct_category = PURCHASING | SUPPORT | INFORMATION | ESCALATION | CONSULTATION
CREATE TABLE classification_feedback (
    id                TEXT PRIMARY KEY,
    email_id          TEXT NOT NULL REFERENCES email_messages (id),
    correct_category  TEXT NOT NULL,
    correct_urgency   TEXT,
    rating            TEXT NOT NULL,
    comment           TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_classification_feedback_email ON classification_feedback (email_id, created_at);

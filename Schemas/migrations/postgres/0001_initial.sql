-- MailHook schema v1 for PostgreSQL.

-- The durable intake queue: one row per accepted notification or event.
CREATE TABLE inbox (
    id              BIGSERIAL PRIMARY KEY,
    source          TEXT    NOT NULL,             -- 'graph' | 'integration' | 'delta'
    kind            TEXT    NOT NULL,             -- see the vocabulary in 0005
    endpoint        TEXT,                         -- integration name, for third-party events
    subscription_id TEXT,                         -- Graph subscription, for Graph items
    dedupe_key      TEXT    NOT NULL UNIQUE,
    payload         TEXT    NOT NULL,             -- the item as JSON text
    status          TEXT    NOT NULL DEFAULT 'pending',  -- see the vocabulary in 0005
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ    NOT NULL DEFAULT now(),
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    last_error      TEXT,
    received_at     TIMESTAMPTZ    NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ    NOT NULL DEFAULT now(),
    completed_at    TIMESTAMPTZ
);
CREATE INDEX idx_inbox_status_next ON inbox (status, next_attempt_at);
CREATE INDEX idx_inbox_lease ON inbox (status, lease_until);

-- Graph subscriptions MailHook made. A row exists (status 'pending', no subscription_id) before the
-- create call, so notifications racing the 201 can be verified against client_state.
CREATE TABLE subscriptions (
    id                    BIGSERIAL PRIMARY KEY,
    subscription_id       TEXT UNIQUE,            -- Graph's id, NULL while pending
    resource              TEXT NOT NULL,
    mailbox               TEXT NOT NULL,
    change_type           TEXT NOT NULL DEFAULT 'created',
    client_state          TEXT NOT NULL,
    notification_url      TEXT,
    lifecycle_url         TEXT,
    expiration            TIMESTAMPTZ,
    status                TEXT NOT NULL DEFAULT 'pending',  -- see the vocabulary in 0005
    last_renewed_at       TIMESTAMPTZ,
    last_reauthorized_at  TIMESTAMPTZ,
    last_error            TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_subscriptions_mailbox ON subscriptions (mailbox, status);
CREATE INDEX idx_subscriptions_expiration ON subscriptions (status, expiration);

-- Delta-query state per mailbox folder: the deltaLink is stored and called verbatim next round.
CREATE TABLE delta_state (
    mailbox          TEXT NOT NULL,
    folder           TEXT NOT NULL,
    delta_link       TEXT,
    last_received_at TIMESTAMPTZ,
    last_sync_at     TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (mailbox, folder)
);

-- One record per external action, written before the call and completed after it, so a retried or
-- reclaimed item never repeats a completed action.
CREATE TABLE action_records (
    id            BIGSERIAL PRIMARY KEY,
    inbox_id      BIGINT NOT NULL,
    email_id      TEXT,
    action        TEXT NOT NULL,                  -- reply | draft | flag | teams-chat | teams-message | workflow-card
    idempotency_key TEXT NOT NULL UNIQUE,
    mode          TEXT NOT NULL,                  -- live | dry-run
    request       TEXT,                           -- the request made (or that would be made), secrets removed
    status        TEXT NOT NULL DEFAULT 'started', -- started | completed | failed
    result        TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at  TIMESTAMPTZ
);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor       TEXT NOT NULL,                    -- 'system' | 'cli' | 'admin' | component name
    action      TEXT NOT NULL,
    subject     TEXT,
    detail      JSONB                              -- JSON, never secrets
);
CREATE INDEX idx_audit_log_at ON audit_log (at);

-- The EmailBot tables.
CREATE TABLE email_messages (
    id                   TEXT PRIMARY KEY,        -- Graph or source message id
    inbox_id             BIGINT,
    source               TEXT,
    mailbox              TEXT,
    internet_message_id  TEXT,
    sender_email         TEXT NOT NULL,
    sender_name          TEXT,
    recipient_email      TEXT NOT NULL DEFAULT '',
    subject              TEXT NOT NULL DEFAULT '',
    body                 TEXT NOT NULL DEFAULT '',
    html_body            TEXT,
    received_datetime    TIMESTAMPTZ NOT NULL,
    processed_datetime   TIMESTAMPTZ,
    conversation_id      TEXT,
    importance           TEXT,
    attachments_count    INTEGER DEFAULT 0,
    attachments_metadata JSONB,
    processing_status    TEXT DEFAULT 'received',
    retry_count          INTEGER DEFAULT 0,
    last_error           TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_email_messages_sender_received ON email_messages (sender_email, received_datetime);
CREATE INDEX idx_email_messages_status_received ON email_messages (processing_status, received_datetime);
CREATE INDEX idx_email_messages_conversation ON email_messages (conversation_id);
CREATE INDEX idx_email_messages_internet_id ON email_messages (internet_message_id);

CREATE TABLE classification_results (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email_id            TEXT NOT NULL UNIQUE REFERENCES email_messages (id),
    category            TEXT NOT NULL,
    confidence          DOUBLE PRECISION NOT NULL,            -- 0 to 100
    reasoning           TEXT NOT NULL,
    urgency             TEXT NOT NULL,
    suggested_action    TEXT NOT NULL,
    required_expertise  JSONB,                     -- JSON array
    estimated_effort    TEXT,
    model_used          TEXT,
    model_version       TEXT,
    prompt_version      TEXT,
    tokens_used         INTEGER,
    human_feedback      TEXT,
    feedback_notes      TEXT,
    feedback_timestamp  TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_classification_category_confidence ON classification_results (category, confidence);
CREATE INDEX idx_classification_urgency ON classification_results (urgency);

CREATE TABLE processing_results (
    id                           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email_id                     TEXT NOT NULL REFERENCES email_messages (id),
    status                       TEXT NOT NULL,
    started_at                   TIMESTAMPTZ NOT NULL,
    completed_at                 TIMESTAMPTZ,
    action_taken                 TEXT,
    response_sent                BOOLEAN DEFAULT FALSE,
    escalation_created           BOOLEAN DEFAULT FALSE,
    escalation_id                TEXT,
    processing_time_ms           INTEGER,
    classification_time_ms       INTEGER,
    response_generation_time_ms  INTEGER,
    error_message                TEXT,
    error_stage                  TEXT,
    retry_count                  INTEGER DEFAULT 0,
    processing_context           JSONB,            -- JSON: stage timings, sanitiser counts
    confidence_routing           TEXT,
    created_at                   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_processing_status_created ON processing_results (status, created_at);
CREATE INDEX idx_processing_timing ON processing_results (started_at, completed_at);
CREATE INDEX idx_processing_email ON processing_results (email_id);

CREATE TABLE escalation_teams (
    id                             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    team_id                        TEXT NOT NULL UNIQUE,  -- Teams chat id (or the workflow card's id)
    email_id                       TEXT NOT NULL REFERENCES email_messages (id),
    team_name                      TEXT NOT NULL,
    team_description               TEXT,
    members                        JSONB NOT NULL,         -- JSON array
    member_count                   INTEGER NOT NULL,
    owner_email                    TEXT,
    status                         TEXT DEFAULT 'active',
    resolved_at                    TIMESTAMPTZ,
    resolution_notes               TEXT,
    resolution_time_hours          DOUBLE PRECISION,
    teams_group_url                TEXT,
    channel_id                     TEXT,
    message_count                  INTEGER DEFAULT 0,
    first_response_time_minutes    INTEGER,
    average_response_time_minutes  INTEGER,
    participant_engagement_score   DOUBLE PRECISION,
    created_at                     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_escalation_email ON escalation_teams (email_id);

CREATE TABLE email_patterns (
    id                              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    pattern_id                      TEXT NOT NULL UNIQUE,
    pattern_type                    TEXT NOT NULL,
    description                     TEXT NOT NULL,
    pattern_signature               TEXT,
    frequency                       INTEGER NOT NULL DEFAULT 1,
    first_seen                      TIMESTAMPTZ NOT NULL,
    last_seen                       TIMESTAMPTZ NOT NULL,
    automation_potential            DOUBLE PRECISION NOT NULL DEFAULT 0,
    complexity_score                DOUBLE PRECISION DEFAULT 0,
    confidence_level                DOUBLE PRECISION DEFAULT 0,
    sample_emails                   JSONB,             -- JSON array of email ids
    sample_count                    INTEGER DEFAULT 0,
    common_keywords                 JSONB,
    sender_patterns                 JSONB,
    timing_patterns                 JSONB,
    time_savings_potential_minutes  INTEGER,
    affected_categories             JSONB,             -- JSON object category -> count
    required_improvements           JSONB,
    created_at                      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_pattern_type_frequency ON email_patterns (pattern_type, frequency);
CREATE INDEX idx_pattern_automation ON email_patterns (automation_potential);

CREATE TABLE performance_metrics (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    metric_type         TEXT NOT NULL,
    metric_name         TEXT NOT NULL,
    metric_category     TEXT NOT NULL,
    value               DOUBLE PRECISION NOT NULL,
    value_unit          TEXT,
    email_id            TEXT,
    time_period_start   TIMESTAMPTZ,
    time_period_end     TIMESTAMPTZ,
    sample_size         INTEGER,
    aggregation_method  TEXT,
    metadata            JSONB,
    tags                JSONB,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_metrics_type_created ON performance_metrics (metric_type, created_at);

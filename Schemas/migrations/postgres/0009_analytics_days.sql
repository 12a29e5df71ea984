-- Analytics over long windows read closed UTC days from a cache instead of counting every row
-- again. A cached day carries the version of its day it was computed from; any write that
-- touches a row of a day that is already over (by the database's clock) moves that day's
-- version on, so a stale day is never read. Rows of the current day need no version: a day is
-- cached only an hour after it ended, when every transaction that wrote it has long committed.
CREATE TABLE analytics_day_versions (
    day      TEXT PRIMARY KEY,                    -- YYYY-MM-DD, UTC
    version  BIGINT NOT NULL
);
CREATE TABLE analytics_day_cache (
    day          TEXT PRIMARY KEY,                -- YYYY-MM-DD, UTC: the day's rows below are complete
    version      BIGINT NOT NULL,                 -- analytics_day_versions.version they were counted at (0: none yet)
    computed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The day's counts, in the shapes the analytics add up over a window (see the store's
-- AnalyticsPart): processing totals and decisions by the day processing started, stage
-- timings as a histogram of whole milliseconds, classifications and routing groups by the
-- day the email was classified.
CREATE TABLE analytics_day_totals (
    day          TEXT PRIMARY KEY,
    processed    BIGINT NOT NULL,
    n_completed  BIGINT NOT NULL,
    n_failed     BIGINT NOT NULL,
    replies      BIGINT NOT NULL,
    drafts       BIGINT NOT NULL,
    reviews      BIGINT NOT NULL,
    escalations  BIGINT NOT NULL,
    recorded     BIGINT NOT NULL
);
CREATE TABLE analytics_day_stages (
    day    TEXT NOT NULL,
    stage  TEXT NOT NULL,
    ms     BIGINT NOT NULL,
    n      BIGINT NOT NULL
);
CREATE INDEX idx_analytics_day_stages ON analytics_day_stages (day);
CREATE TABLE analytics_day_decisions (
    day       TEXT NOT NULL,
    decision  TEXT,
    n         BIGINT NOT NULL
);
CREATE INDEX idx_analytics_day_decisions ON analytics_day_decisions (day);
CREATE TABLE analytics_day_classifications (
    day             TEXT NOT NULL,
    category        TEXT,
    urgency         TEXT,
    bucket          BIGINT,
    model_used      TEXT,
    prompt_version  TEXT,
    n               BIGINT NOT NULL,
    confidence_sum  DOUBLE PRECISION NOT NULL
);
CREATE INDEX idx_analytics_day_classifications ON analytics_day_classifications (day);
CREATE TABLE analytics_day_routing (
    day         TEXT NOT NULL,
    category    TEXT,
    urgency     TEXT,
    confidence  DOUBLE PRECISION,
    decision    TEXT,
    corrected   TEXT,
    n           BIGINT NOT NULL
);
CREATE INDEX idx_analytics_day_routing ON analytics_day_routing (day);

-- The windows the analytics read: classifications by creation, emails by arrival (history pages
-- walk it newest first), classifier fallbacks by stage.
CREATE INDEX idx_classification_created ON classification_results (created_at);
CREATE INDEX idx_email_messages_received ON email_messages (received_datetime, id);
CREATE INDEX idx_processing_error_stage ON processing_results (error_stage, started_at);

-- Moves the version of each given day that is over; days are taken in order, so two
-- transactions never wait on each other's days crosswise.
CREATE FUNCTION analytics_touch_days(days TEXT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO analytics_day_versions (day, version)
    SELECT DISTINCT d, 1 FROM unnest(days) AS d
    WHERE d IS NOT NULL AND d <> to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')
    ORDER BY d
    ON CONFLICT (day) DO UPDATE SET version = analytics_day_versions.version + 1
$$;

CREATE FUNCTION analytics_day_of(at TIMESTAMPTZ) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
$$;

-- A processing row counts on the day it started; its decision also counts in its email's
-- routing group, kept on the day the email was classified.
CREATE FUNCTION analytics_processing_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days TEXT[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        days := days || analytics_day_of(OLD.started_at)
            || (SELECT analytics_day_of(created_at) FROM classification_results WHERE email_id = OLD.email_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        days := days || analytics_day_of(NEW.started_at)
            || (SELECT analytics_day_of(created_at) FROM classification_results WHERE email_id = NEW.email_id);
    END IF;
    PERFORM analytics_touch_days(days);
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_processing_days AFTER INSERT OR UPDATE OR DELETE ON processing_results
    FOR EACH ROW EXECUTE FUNCTION analytics_processing_changed();

CREATE FUNCTION analytics_classification_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days TEXT[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        days := days || analytics_day_of(OLD.created_at);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        days := days || analytics_day_of(NEW.created_at);
    END IF;
    PERFORM analytics_touch_days(days);
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_classification_days AFTER INSERT OR UPDATE OR DELETE ON classification_results
    FOR EACH ROW EXECUTE FUNCTION analytics_classification_changed();

-- Feedback changes the routing groups of the day its email was classified.
CREATE FUNCTION analytics_feedback_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days TEXT[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        days := days || (SELECT analytics_day_of(created_at) FROM classification_results WHERE email_id = OLD.email_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        days := days || (SELECT analytics_day_of(created_at) FROM classification_results WHERE email_id = NEW.email_id);
    END IF;
    PERFORM analytics_touch_days(days);
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_feedback_days AFTER INSERT OR UPDATE OR DELETE ON classification_feedback
    FOR EACH ROW EXECUTE FUNCTION analytics_feedback_changed();

-- Analytics over long windows read closed UTC days from a cache instead of counting every row
-- again. A cached day carries the version of its day it was computed from; any write that
-- touches a row of a day that is already over (by the database's clock) moves that day's
-- version on, so a stale day is never read. Rows of the current day need no version: a day is
-- cached only an hour after it ended, when every transaction that wrote it has long committed.
CREATE TABLE analytics_day_versions (
    day      TEXT PRIMARY KEY,                    -- YYYY-MM-DD, UTC
    version  INTEGER NOT NULL
);
CREATE TABLE analytics_day_cache (
    day          TEXT PRIMARY KEY,                -- YYYY-MM-DD, UTC: the day's rows below are complete
    version      INTEGER NOT NULL,                 -- analytics_day_versions.version they were counted at (0: none yet)
    computed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- The day's counts, in the shapes the analytics add up over a window (see the store's
-- AnalyticsPart): processing totals and decisions by the day processing started, stage
-- timings as a histogram of whole milliseconds, classifications and routing groups by the
-- day the email was classified.
CREATE TABLE analytics_day_totals (
    day          TEXT PRIMARY KEY,
    processed    INTEGER NOT NULL,
    n_completed  INTEGER NOT NULL,
    n_failed     INTEGER NOT NULL,
    replies      INTEGER NOT NULL,
    drafts       INTEGER NOT NULL,
    reviews      INTEGER NOT NULL,
    escalations  INTEGER NOT NULL,
    recorded     INTEGER NOT NULL
);
CREATE TABLE analytics_day_stages (
    day    TEXT NOT NULL,
    stage  TEXT NOT NULL,
    ms     INTEGER NOT NULL,
    n      INTEGER NOT NULL
);
CREATE INDEX idx_analytics_day_stages ON analytics_day_stages (day);
CREATE TABLE analytics_day_decisions (
    day       TEXT NOT NULL,
    decision  TEXT,
    n         INTEGER NOT NULL
);
CREATE INDEX idx_analytics_day_decisions ON analytics_day_decisions (day);
CREATE TABLE analytics_day_classifications (
    day             TEXT NOT NULL,
    category        TEXT,
    urgency         TEXT,
    bucket          INTEGER,
    model_used      TEXT,
    prompt_version  TEXT,
    n               INTEGER NOT NULL,
    confidence_sum  REAL NOT NULL
);
CREATE INDEX idx_analytics_day_classifications ON analytics_day_classifications (day);
CREATE TABLE analytics_day_routing (
    day         TEXT NOT NULL,
    category    TEXT,
    urgency     TEXT,
    confidence  REAL,
    decision    TEXT,
    corrected   TEXT,
    n           INTEGER NOT NULL
);
CREATE INDEX idx_analytics_day_routing ON analytics_day_routing (day);

-- The windows the analytics read: classifications by creation, emails by arrival (history pages
-- walk it newest first), classifier fallbacks by stage.
CREATE INDEX idx_classification_created ON classification_results (created_at);
CREATE INDEX idx_email_messages_received ON email_messages (received_datetime, id);
CREATE INDEX idx_processing_error_stage ON processing_results (error_stage, started_at);

-- The one rule every trigger below applies, as PostgreSQL's analytics_touch_days: a day that is
-- over has its version moved on. Inserting into this view does that, once per distinct day.
CREATE VIEW analytics_touched_days AS SELECT day FROM analytics_day_versions;
CREATE TRIGGER analytics_touch_day INSTEAD OF INSERT ON analytics_touched_days
WHEN NEW.day IS NOT NULL AND NEW.day <> date('now') BEGIN
    INSERT INTO analytics_day_versions (day, version) VALUES (NEW.day, 1)
        ON CONFLICT (day) DO UPDATE SET version = version + 1;
END;

-- A processing row counts on the day it started; its decision also counts in its email's
-- routing group, kept on the day the email was classified.
CREATE TRIGGER analytics_processing_insert AFTER INSERT ON processing_results BEGIN
    INSERT INTO analytics_touched_days (day)
        SELECT substr(NEW.started_at, 1, 10)
        UNION SELECT substr(created_at, 1, 10) FROM classification_results WHERE email_id = NEW.email_id;
END;
CREATE TRIGGER analytics_processing_update AFTER UPDATE ON processing_results BEGIN
    INSERT INTO analytics_touched_days (day)
        SELECT substr(OLD.started_at, 1, 10)
        UNION SELECT substr(NEW.started_at, 1, 10)
        UNION SELECT substr(created_at, 1, 10) FROM classification_results WHERE email_id IN (OLD.email_id, NEW.email_id);
END;
CREATE TRIGGER analytics_processing_delete AFTER DELETE ON processing_results BEGIN
    INSERT INTO analytics_touched_days (day)
        SELECT substr(OLD.started_at, 1, 10)
        UNION SELECT substr(created_at, 1, 10) FROM classification_results WHERE email_id = OLD.email_id;
END;

CREATE TRIGGER analytics_classification_insert AFTER INSERT ON classification_results BEGIN
    INSERT INTO analytics_touched_days (day) VALUES (substr(NEW.created_at, 1, 10));
END;
CREATE TRIGGER analytics_classification_update AFTER UPDATE ON classification_results BEGIN
    INSERT INTO analytics_touched_days (day) SELECT substr(OLD.created_at, 1, 10) UNION SELECT substr(NEW.created_at, 1, 10);
END;
CREATE TRIGGER analytics_classification_delete AFTER DELETE ON classification_results BEGIN
    INSERT INTO analytics_touched_days (day) VALUES (substr(OLD.created_at, 1, 10));
END;

-- Feedback changes the routing groups of the day its email was classified.
CREATE TRIGGER analytics_feedback_insert AFTER INSERT ON classification_feedback BEGIN
    INSERT INTO analytics_touched_days (day) SELECT substr(created_at, 1, 10) FROM classification_results WHERE email_id = NEW.email_id;
END;
CREATE TRIGGER analytics_feedback_update AFTER UPDATE ON classification_feedback BEGIN
    INSERT INTO analytics_touched_days (day)
        SELECT DISTINCT substr(created_at, 1, 10) FROM classification_results WHERE email_id IN (OLD.email_id, NEW.email_id);
END;
CREATE TRIGGER analytics_feedback_delete AFTER DELETE ON classification_feedback BEGIN
    INSERT INTO analytics_touched_days (day) SELECT substr(created_at, 1, 10) FROM classification_results WHERE email_id = OLD.email_id;
END;

-- analytics_touch_days runs from a trigger on every write of a processing or classification row,
-- two or three times per email, and nearly always with today's date only, which needs no
-- version. As a SQL function its INSERT was planned again on each call (about 0.13 ms, a third
-- of the cost of storing an email's first records). In PL/pgSQL the check for a day that is over
-- is a plain loop and the INSERT's plan is kept for the session; the INSERT, still taking days
-- in order, runs only when such a day is there.
CREATE OR REPLACE FUNCTION analytics_touch_days(days TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    today TEXT := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD');
    d TEXT;
BEGIN
    FOREACH d IN ARRAY coalesce(days, '{}') LOOP
        IF d IS NOT NULL AND d <> today THEN
            INSERT INTO analytics_day_versions (day, version)
            SELECT DISTINCT x, 1 FROM unnest(days) AS x
            WHERE x IS NOT NULL AND x <> today
            ORDER BY x
            ON CONFLICT (day) DO UPDATE SET version = analytics_day_versions.version + 1;
            RETURN;
        END IF;
    END LOOP;
END
$$;

-- processing_results.confidence_routing was text read as ::jsonb: one row that is not JSON (an
-- operator's edit) made every read of it fail. As jsonb it cannot hold anything else, and reads
-- skip a parse per row. Text that is not JSON is kept, as a JSON string.
CREATE FUNCTION mailhook_0012_as_jsonb(doc TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN doc::jsonb;
EXCEPTION WHEN OTHERS THEN
    RETURN to_jsonb(doc);
END
$$;

ALTER TABLE processing_results ALTER COLUMN confidence_routing TYPE JSONB USING mailhook_0012_as_jsonb(confidence_routing);

DROP FUNCTION mailhook_0012_as_jsonb(TEXT);

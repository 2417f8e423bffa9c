-- Ratings change feed: every statement that changes ratings sends one NOTIFY naming the users it touched,
-- so serving replicas drop those users' cached rankings at once instead of re-reading every cached user on
-- a timer. Channels are per schema (NOTIFY is database-wide); the payload is a comma-separated list of user
-- ids, or '*' when a statement touched more users than fit (bulk seeding, TRUNCATE).

-- The channel for a schema's ratings: at most 63 bytes, as LISTEN requires.
CREATE FUNCTION "recsys_ratings_channel"(schema_name TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT left('recsys_ratings:' || schema_name, 63) $$;

-- Statement-level: one notification per statement, whatever its row count.
CREATE FUNCTION "recsys_notify_ratings_changed"() RETURNS TRIGGER
    LANGUAGE plpgsql
    AS $$
DECLARE
    touched INTEGER[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        touched := NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(user_id) INTO touched FROM (SELECT DISTINCT user_id FROM new_ratings LIMIT 501) AS t;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(user_id) INTO touched FROM (SELECT DISTINCT user_id FROM old_ratings LIMIT 501) AS t;
    ELSE
        SELECT array_agg(user_id) INTO touched FROM (
            SELECT user_id FROM new_ratings UNION SELECT user_id FROM old_ratings LIMIT 501
        ) AS t;
    END IF;
    IF TG_OP <> 'TRUNCATE' AND touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify(
        "recsys_ratings_channel"(TG_TABLE_SCHEMA),
        CASE WHEN touched IS NULL OR cardinality(touched) > 500 THEN '*' ELSE array_to_string(touched, ',') END
    );
    RETURN NULL;
END
$$;

-- CreateTrigger
CREATE TRIGGER "ratings_notify_insert" AFTER INSERT ON "ratings"
    REFERENCING NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION "recsys_notify_ratings_changed"();

-- CreateTrigger
CREATE TRIGGER "ratings_notify_update" AFTER UPDATE ON "ratings"
    REFERENCING OLD TABLE AS old_ratings NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION "recsys_notify_ratings_changed"();

-- CreateTrigger
CREATE TRIGGER "ratings_notify_delete" AFTER DELETE ON "ratings"
    REFERENCING OLD TABLE AS old_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION "recsys_notify_ratings_changed"();

-- CreateTrigger
CREATE TRIGGER "ratings_notify_truncate" AFTER TRUNCATE ON "ratings"
    FOR EACH STATEMENT EXECUTE FUNCTION "recsys_notify_ratings_changed"();

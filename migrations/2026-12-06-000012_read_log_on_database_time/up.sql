-- The read log on the database's time: what guards the trace of reads never depends on the
-- clock the application sets for its transactions (`napoleon.now`, which a misbehaving
-- service could move to erase everything), and a large purge goes in bounded steps.

-- Through which login (a session's reference, never its secret id) or API token the read
-- was made.
ALTER TABLE readlog.reads ADD COLUMN via text
    CHECK (via ~ '^(session|token):[A-Za-z0-9_-]{1,64}$');

-- A read's time is the database's: the application no longer writes `read_at`.
ALTER TABLE readlog.reads ALTER COLUMN read_at SET DEFAULT now();
REVOKE INSERT ON readlog.reads FROM napoleon_app;
GRANT INSERT (tenant_id, reader, subject_kind, subject_id, channel, request_id, via)
    ON readlog.reads TO napoleon_app;

-- The last 30 days, by the database's clock, are kept whatever the caller says.
CREATE OR REPLACE FUNCTION readlog.purge(p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, readlog, core, pg_temp AS $$
BEGIN
    RETURN readlog.purge(p_before, NULL);
END
$$;

-- The same, at most `p_limit` reads per call (a large log is purged in bounded transactions).
CREATE FUNCTION readlog.purge(p_before timestamptz, p_limit integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, readlog, core, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    IF core.current_tenant() IS NULL THEN
        RAISE EXCEPTION 'readlog.purge: no tenant in this transaction';
    END IF;
    IF p_before > now() - interval '30 days' THEN
        RAISE EXCEPTION 'readlog.purge: the last 30 days of reads are kept';
    END IF;
    IF p_limit IS NOT NULL AND p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'readlog.purge: 1 to 100000 reads per call';
    END IF;
    DELETE FROM readlog.reads r
     WHERE r.tenant_id = core.current_tenant()
       AND r.id IN (SELECT o.id FROM readlog.reads o
                     WHERE o.tenant_id = core.current_tenant() AND o.read_at < p_before
                     ORDER BY o.read_at
                     LIMIT p_limit);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
REVOKE ALL ON FUNCTION readlog.purge(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readlog.purge(timestamptz, integer) TO napoleon_app;

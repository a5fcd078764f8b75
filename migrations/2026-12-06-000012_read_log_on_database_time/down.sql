CREATE OR REPLACE FUNCTION readlog.purge(p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, readlog, core, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    IF core.current_tenant() IS NULL THEN
        RAISE EXCEPTION 'readlog.purge: no tenant in this transaction';
    END IF;
    IF p_before > core.clock_now() - interval '30 days' THEN
        RAISE EXCEPTION 'readlog.purge: the last 30 days of reads are kept';
    END IF;
    DELETE FROM readlog.reads WHERE tenant_id = core.current_tenant() AND read_at < p_before;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
DROP FUNCTION readlog.purge(timestamptz, integer);
REVOKE INSERT ON readlog.reads FROM napoleon_app;
GRANT INSERT ON readlog.reads TO napoleon_app;
ALTER TABLE readlog.reads ALTER COLUMN read_at SET DEFAULT core.clock_now();
ALTER TABLE readlog.reads DROP COLUMN via;

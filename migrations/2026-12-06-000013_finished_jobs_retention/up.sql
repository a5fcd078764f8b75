-- Finished jobs and delivered outbox messages do not pile up forever: a daily job per tenant
-- (`jobs.purge`) removes those finished before the retention period. The application has no
-- DELETE right on either table; this function (owner's rights) removes, in the current
-- tenant only, delivered messages and then finished jobs nothing refers to any more — never a
-- job that may still run, never a message not yet delivered, never within the last 7 days by
-- the database's clock.
CREATE FUNCTION jobs.purge_finished(p_before timestamptz, p_limit integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, outbox, core, pg_temp AS $$
DECLARE
    messages bigint;
    removed bigint;
BEGIN
    IF core.current_tenant() IS NULL THEN
        RAISE EXCEPTION 'jobs.purge_finished: no tenant in this transaction';
    END IF;
    IF p_before > now() - interval '7 days' THEN
        RAISE EXCEPTION 'jobs.purge_finished: the last 7 days are kept';
    END IF;
    IF p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'jobs.purge_finished: 1 to 100000 rows per call';
    END IF;
    DELETE FROM outbox.messages m
     WHERE m.tenant_id = core.current_tenant()
       AND (m.tenant_id, m.id) IN (
           SELECT o.tenant_id, o.id FROM outbox.messages o
            WHERE o.tenant_id = core.current_tenant()
              AND o.delivered_at IS NOT NULL AND o.delivered_at < p_before
            LIMIT p_limit);
    GET DIAGNOSTICS messages = ROW_COUNT;
    DELETE FROM jobs.jobs j
     WHERE j.tenant_id = core.current_tenant()
       AND (j.tenant_id, j.id) IN (
           SELECT f.tenant_id, f.id FROM jobs.jobs f
            WHERE f.tenant_id = core.current_tenant()
              AND f.state IN ('succeeded', 'failed', 'cancelled')
              AND f.finished_at < p_before
              AND NOT EXISTS (SELECT 1 FROM outbox.messages r
                               WHERE r.tenant_id = f.tenant_id AND r.job_id = f.id)
            LIMIT p_limit);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN messages + removed;
END
$$;
REVOKE ALL ON FUNCTION jobs.purge_finished(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs.purge_finished(timestamptz, integer) TO napoleon_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_purges ON jobs.jobs FOR DELETE TO %I USING (true)',
                   current_user);
    EXECUTE format('CREATE POLICY owner_purges ON outbox.messages FOR DELETE TO %I USING (true)',
                   current_user);
END $$;
CREATE INDEX jobs_finished ON jobs.jobs (tenant_id, finished_at)
    WHERE state IN ('succeeded', 'failed', 'cancelled');

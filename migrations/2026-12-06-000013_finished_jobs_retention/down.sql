CREATE OR REPLACE FUNCTION jobs.enqueue_periodic(p_kind text, p_period text, p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, core, pg_temp AS $$
DECLARE
    added bigint;
BEGIN
    IF p_kind NOT IN ('readlog.purge') THEN
        RAISE EXCEPTION 'jobs.enqueue_periodic: % is not a periodic kind', p_kind;
    END IF;
    IF p_now NOT BETWEEN now() - interval '2 days' AND now() + interval '2 days'
       OR p_period IS DISTINCT FROM to_char(p_now AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD') THEN
        RAISE EXCEPTION 'jobs.enqueue_periodic: the period is today''s, in Paris';
    END IF;
    INSERT INTO jobs.jobs (tenant_id, id, kind, period, created_by, run_after, created_at)
    SELECT t.id, gen_random_uuid(), p_kind, p_period, 'system:schedule', p_now, p_now
      FROM core.tenants t
    ON CONFLICT (tenant_id, kind, period) WHERE period IS NOT NULL DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
DROP INDEX jobs.jobs_finished;
DROP POLICY owner_purges ON outbox.messages;
DROP POLICY owner_purges ON jobs.jobs;
DROP FUNCTION jobs.purge_finished(timestamptz, integer);

CREATE OR REPLACE FUNCTION jobs.enqueue_periodic(p_kind text, p_period text, p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, core, pg_temp AS $$
DECLARE
    added bigint;
BEGIN
    -- The read log's retention, and finished jobs' (the latter's function comes with 000013).
    IF p_kind NOT IN ('readlog.purge', 'jobs.purge') THEN
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
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        DELETE FROM authz.policy_rules
         WHERE tenant_id = t.id AND ptype = 'p' AND v2 = 'registry' AND v3 = 'export';
        IF FOUND THEN
            UPDATE authz.policy_versions SET version = version + 1 WHERE tenant_id = t.id;
        END IF;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;
DROP FUNCTION core.agent_grants(uuid);
DROP POLICY promotion_sees_its_exports_only ON jobs.jobs;
REVOKE SELECT, INSERT ON jobs.jobs FROM napoleon_promotion;

-- Exports of lists (issue 18, Build 3). An export runs as a job of its service's kind
-- (`promotion.export` for the registry): the service's page enqueues it and shows it, the
-- worker runs it (reading the list through the contract views, as every service may, and
-- writing the read log). A restrictive policy keeps every other kind of job out of the
-- service's reach, as for decisions' imports (migration 000034).
GRANT SELECT, INSERT ON jobs.jobs TO napoleon_promotion;
CREATE POLICY promotion_sees_its_exports_only ON jobs.jobs AS RESTRICTIVE
    TO napoleon_promotion
    USING (kind = 'promotion.export') WITH CHECK (kind = 'promotion.export');

-- The roles an agent holds now in the transaction's tenant, for a job acting on the agent's
-- behalf (an export): it keeps only the roles the agent asked with that they still hold, so
-- a grant withdrawn meanwhile stops it. Owner's rights (the worker has no grant on
-- core.memberships); the tenant policy still applies, the owner being subject to it.
CREATE FUNCTION core.agent_grants(p_agent uuid) RETURNS TABLE (role text, unit_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, core, pg_temp AS $$
    SELECT m.role, m.unit_id FROM core.memberships m
     WHERE m.tenant_id = core.current_tenant() AND m.agent_id = p_agent AND m.role IS NOT NULL
$$;
REVOKE ALL ON FUNCTION core.agent_grants(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.agent_grants(uuid) TO napoleon_app, napoleon_worker;

-- Exporting the registry is a permission of its own (`registry:export`): a bulk disclosure,
-- not every reader's (the intégrateur and the chef de bureau; an administrator grants it to
-- others, the auditeur included, on the policy page). Existing tenants get the default
-- policy's new rules where the role reads the registry today (a tenant that withdrew the
-- reading keeps it withdrawn), and their policy version moves so that every instance reloads
-- it. Tenant by tenant, as the policies require.
DO $$
DECLARE
    t record;
    added integer;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        INSERT INTO authz.policy_rules (tenant_id, id, ptype, v0, v1, v2, v3)
            SELECT r.tenant_id, gen_random_uuid(), 'p', r.v0, r.v1, 'registry', 'export'
              FROM authz.policy_rules r
             WHERE r.tenant_id = t.id AND r.ptype = 'p' AND r.v2 = 'registry' AND r.v3 = 'read'
               AND r.v0 IN ('integrateur', 'chef_de_bureau')
            ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added > 0 THEN
            INSERT INTO authz.policy_versions (tenant_id, version) VALUES (t.id, 1)
                ON CONFLICT (tenant_id) DO UPDATE SET version = authz.policy_versions.version + 1;
        END IF;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;

-- Exports' files are removed from the object store a week after they were written: a daily
-- job in every tenant (`exports.purge`, run by the worker), scheduled like the retention
-- purges.
CREATE OR REPLACE FUNCTION jobs.enqueue_periodic(p_kind text, p_period text, p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, core, pg_temp AS $$
DECLARE
    added bigint;
BEGIN
    -- The read log's retention, finished jobs', and exports' files (000035).
    IF p_kind NOT IN ('readlog.purge', 'jobs.purge', 'exports.purge') THEN
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

-- The decisions board's export (issue 18, Build 3): a `decisions.export` job, enqueued and
-- shown by decisions' page and run by decisions' own process as decisions' role — the board
-- reads decisions' tables (rankings, motivations), which no other role may read. Decisions
-- now enqueues, leases and finishes two kinds (its registry imports, migration 000034, and
-- its exports), still no other.
DROP POLICY decisions_runs_registry_imports_only ON jobs.jobs;
CREATE POLICY decisions_runs_its_own_jobs_only ON jobs.jobs AS RESTRICTIVE
    TO napoleon_decisions
    USING (kind IN ('registry.import', 'decisions.export'))
    WITH CHECK (kind IN ('registry.import', 'decisions.export'));
CREATE OR REPLACE FUNCTION jobs.lease(p_worker text, p_kinds text[], p_now timestamptz,
                                      p_seconds integer)
RETURNS TABLE (tenant_id uuid, id uuid, kind text, payload jsonb, attempts integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, pg_temp AS $$
BEGIN
    -- session_user: the role that connected (current_user is the owner's, here).
    -- IS NOT TRUE: no kinds at all (NULL) is refused too.
    IF session_user = 'napoleon_decisions'
       AND (p_kinds <@ ARRAY['registry.import', 'decisions.export']) IS NOT TRUE THEN
        RAISE EXCEPTION 'jobs.lease: decisions leases its registry imports and exports only';
    END IF;
    RETURN QUERY SELECT * FROM jobs.lease_kinds(p_worker, p_kinds, p_now, p_seconds);
END
$$;
-- The roles the asking agent still holds, read at each batch (migration 000035): decisions'
-- role may now list an agent's roles in the transaction's tenant, as the worker's may.
GRANT EXECUTE ON FUNCTION core.agent_grants(uuid) TO napoleon_decisions;

-- Exporting the board is a permission of its own (`decision:export`): the intégrateur and the
-- chef de bureau by default. Existing tenants get it where the role reads the decisions today;
-- their policy version moves so that every instance reloads it. Tenant by tenant, as the
-- policies require.
DO $$
DECLARE
    t record;
    added integer;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        INSERT INTO authz.policy_rules (tenant_id, id, ptype, v0, v1, v2, v3)
            SELECT r.tenant_id, gen_random_uuid(), 'p', r.v0, r.v1, 'decision', 'export'
              FROM authz.policy_rules r
             WHERE r.tenant_id = t.id AND r.ptype = 'p' AND r.v2 = 'decision' AND r.v3 = 'read'
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

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        DELETE FROM authz.policy_rules
         WHERE tenant_id = t.id AND ptype = 'p' AND v2 = 'decision' AND v3 = 'export';
        IF FOUND THEN
            UPDATE authz.policy_versions SET version = version + 1 WHERE tenant_id = t.id;
        END IF;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;
CREATE OR REPLACE FUNCTION jobs.lease(p_worker text, p_kinds text[], p_now timestamptz,
                                      p_seconds integer)
RETURNS TABLE (tenant_id uuid, id uuid, kind text, payload jsonb, attempts integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, pg_temp AS $$
BEGIN
    -- session_user: the role that connected (current_user is the owner's, here).
    IF session_user = 'napoleon_decisions' AND NOT (p_kinds <@ ARRAY['registry.import']) THEN
        RAISE EXCEPTION 'jobs.lease: decisions leases its registry imports only';
    END IF;
    RETURN QUERY SELECT * FROM jobs.lease_kinds(p_worker, p_kinds, p_now, p_seconds);
END
$$;
REVOKE EXECUTE ON FUNCTION core.agent_grants(uuid) FROM napoleon_decisions;
-- Exports not finished would wait for ever (nobody leases them any more): gone, with their
-- payloads.
DELETE FROM jobs.jobs WHERE kind = 'decisions.export' AND finished_at IS NULL;
DROP POLICY decisions_runs_its_own_jobs_only ON jobs.jobs;
CREATE POLICY decisions_runs_registry_imports_only ON jobs.jobs AS RESTRICTIVE
    TO napoleon_decisions
    USING (kind = 'registry.import') WITH CHECK (kind = 'registry.import');

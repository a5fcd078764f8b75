-- Issue 15: statements of the request path that PostgreSQL prepared or planned again at
-- every request (pg_stat_statements under load: plans = calls), and the read log's lock on
-- its tenant's row.

-- The tenant a session works in, from the gateway's session layout (`auth.tenant`): written
-- as a UUID or null; anything else reads as no tenant rather than failing the session's every
-- request. A function, so that the session's read (with its tenant's access stamp) is built
-- by the query builder and kept prepared; inlined by the planner (SQL, immutable).
CREATE FUNCTION core.session_tenant(p_data jsonb) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_data -> 'auth' ->> 'tenant'
                     ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                THEN (p_data -> 'auth' ->> 'tenant')::uuid END
$$;
REVOKE ALL ON FUNCTION core.session_tenant(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.session_tenant(jsonb) TO napoleon_gateway, napoleon_app;

-- The journal's actor for an agent (`agent:<id>`), to join a timeline's events with their
-- agents through the query builder.
CREATE FUNCTION journal.agent_actor(p_agent uuid) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 'agent:' || p_agent::text $$;
REVOKE ALL ON FUNCTION journal.agent_actor(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION journal.agent_actor(uuid) TO napoleon_service, napoleon_app;

-- The access state in separate statements: as one, the units' subquery behind
-- `current IS DISTINCT FROM p_known` made a plan for each call's values cheaper than the
-- generic one, so PL/pgSQL planned it again at every request. Same answer.
CREATE OR REPLACE FUNCTION authz.access_state(p_tenant uuid, p_known bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    current bigint;
    policy bigint;
    units json;
BEGIN
    SELECT t.access_stamp INTO current FROM core.tenants t WHERE t.id = p_tenant;
    SELECT v.version INTO policy FROM authz.policy_versions v WHERE v.tenant_id = p_tenant;
    IF current IS DISTINCT FROM p_known THEN
        SELECT coalesce(json_agg(json_build_array(u.id, u.parent_id, u.kind, u.code, u.name)
                                 ORDER BY u.kind, u.code), '[]'::json)
          INTO units
          FROM core.org_units u WHERE u.tenant_id = p_tenant;
    END IF;
    RETURN json_build_object('stamp', current, 'version', coalesce(policy, 0), 'units', units);
END
$$;

-- Every read inserts its entries; the foreign key to core.tenants made each of those inserts
-- share-lock the tenant's row until commit, so concurrent reads of one tenant piled their
-- locks on one row (a multixact per new locker). The tenant is the transaction's own
-- (row-level security's WITH CHECK) and tenants are never deleted; the audit trail does not
-- need the key.
ALTER TABLE readlog.reads DROP CONSTRAINT reads_tenant_id_fkey;

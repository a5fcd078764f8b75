CREATE FUNCTION core.subtree(p_tenant uuid, p_roots uuid[]) RETURNS uuid[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    found uuid[];
BEGIN
    WITH RECURSIVE t(id) AS (
        SELECT r FROM unnest(p_roots) AS r
        UNION
        SELECT u.id FROM core.org_units u JOIN t ON u.parent_id = t.id
         WHERE u.tenant_id = p_tenant
    )
    SELECT coalesce(array_agg(t.id), '{}') INTO found FROM t;
    RETURN found;
END
$$;
REVOKE ALL ON FUNCTION core.subtree(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.subtree(uuid, uuid[]) TO napoleon_service, napoleon_app;
CREATE FUNCTION core.unit_in(p_unit uuid, p_units uuid[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT p_unit = ANY(p_units) $$;
REVOKE ALL ON FUNCTION core.unit_in(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.unit_in(uuid, uuid[]) TO napoleon_service, napoleon_app;
DROP FUNCTION core.subtree_units(uuid, uuid[]);
CREATE FUNCTION journal.agent_actor(p_agent uuid) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 'agent:' || p_agent::text $$;
REVOKE ALL ON FUNCTION journal.agent_actor(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION journal.agent_actor(uuid) TO napoleon_service, napoleon_app;
DROP FUNCTION journal.actor_agent(text);

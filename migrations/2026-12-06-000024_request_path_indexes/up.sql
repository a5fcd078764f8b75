-- Issue 15: two request-path queries whose SQL functions kept PostgreSQL from its indexes
-- or from evaluating them once (seen under load: the queue's and the page's PostgreSQL time).

-- A timeline joined its events to their agents on `actor = 'agent:' || id`, which no index
-- serves (every agent's id rendered for each page). The agent an actor names, as a uuid,
-- joins on the agents' primary key instead. Actors are written by the journal's
-- `Actor::render` (`agent:<uuid>`, `job:…`, `token:…`); anything else names no agent.
CREATE FUNCTION journal.actor_agent(p_actor text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_actor ~ '^agent:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN substr(p_actor, 7)::uuid END
$$;
REVOKE ALL ON FUNCTION journal.actor_agent(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION journal.actor_agent(text) TO napoleon_service, napoleon_app;
DROP FUNCTION journal.agent_actor(uuid);

-- The queue filtered its dossiers with `level = ANY(core.subtree(…))`, which PostgreSQL
-- evaluated again for every candidate row. As rows, in `level IN (SELECT …)`, the units
-- are found once per query. Runs with the caller's rights (the transaction's tenant's units);
-- the roots are part of the answer, as in `napoleon_db::core::subtree`.
CREATE FUNCTION core.subtree_units(p_tenant uuid, p_roots uuid[]) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE t(id) AS (
        SELECT r FROM unnest(p_roots) AS r
        UNION
        SELECT u.id FROM core.org_units u JOIN t ON u.parent_id = t.id
         WHERE u.tenant_id = p_tenant
    )
    SELECT t.id FROM t;
END
$$;
REVOKE ALL ON FUNCTION core.subtree_units(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.subtree_units(uuid, uuid[]) TO napoleon_service, napoleon_app;
DROP FUNCTION core.unit_in(uuid, uuid[]);
DROP FUNCTION core.subtree(uuid, uuid[]);

-- Issue 15: units and everything below them, for a query that names an agent's units by the
-- roots of their grants (the instruction queue), so that it is sent with the transaction's
-- opening instead of after the agent's access is read. Runs with the caller's rights: the
-- transaction's tenant's units only. The roots are part of the answer, as in
-- `napoleon_db::core::subtree`.
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

-- `p_unit = ANY(p_units)`, for the query builder (which has no `= ANY` over an array
-- expression); inlined by the planner, so an index on the unit still serves.
CREATE FUNCTION core.unit_in(p_unit uuid, p_units uuid[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT p_unit = ANY(p_units) $$;
REVOKE ALL ON FUNCTION core.unit_in(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.unit_in(uuid, uuid[]) TO napoleon_service, napoleon_app;

-- Issue 15: the instruction queue filtered, counted and paged by PostgreSQL. Its « à traiter »
-- leaves out a dossier waiting for its transmission whose last opinion at its current level
-- is the agent's own (four eyes): the last opinion's author, as a condition on intake's
-- contract view. Inlined by the planner (SQL, one SELECT); runs with the caller's rights, so
-- row-level security confines it to the transaction's tenant. The last is by
-- (created_at, id), as the service orders the opinions it reads.
CREATE FUNCTION instruction.last_opinion_author(p_tenant uuid, p_dossier uuid, p_level uuid)
RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT o.agent_id FROM instruction.opinions o
     WHERE o.tenant_id = p_tenant AND o.dossier_id = p_dossier AND o.level_unit_id = p_level
     ORDER BY o.created_at DESC, o.id DESC
     LIMIT 1
$$;
REVOKE ALL ON FUNCTION instruction.last_opinion_author(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION instruction.last_opinion_author(uuid, uuid, uuid)
    TO napoleon_instruction, napoleon_app;

-- Its « suivis »: the dossiers the agent took (at any level).
CREATE FUNCTION instruction.holds(p_tenant uuid, p_dossier uuid, p_agent uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM instruction.assignments a
                    WHERE a.tenant_id = p_tenant AND a.dossier_id = p_dossier
                      AND a.agent_id = p_agent)
$$;
REVOKE ALL ON FUNCTION instruction.holds(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION instruction.holds(uuid, uuid, uuid) TO napoleon_instruction, napoleon_app;

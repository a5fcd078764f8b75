CREATE OR REPLACE FUNCTION core.subtree_units(p_tenant uuid, p_roots uuid[]) RETURNS SETOF uuid
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
ALTER FUNCTION core.subtree_units(uuid, uuid[]) RESET search_path;

DROP FUNCTION intake.number_and_submit(uuid, uuid, text);
-- The submission as migration 000022 wrote it.
CREATE FUNCTION intake.number_and_submit(p_tenant uuid, p_id uuid, p_prefix text,
                                         p_number text, p_state text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    given text := p_number;
BEGIN
    IF given IS NULL THEN
        INSERT INTO intake.number_counters AS c (tenant_id, prefix, last_number)
        VALUES (p_tenant, p_prefix, 1)
        ON CONFLICT (tenant_id, prefix) DO UPDATE SET last_number = c.last_number + 1
        RETURNING c.last_number INTO n;
        -- Four digits at least, as `{n:04}`.
        given := p_prefix || '-' || lpad(n::text, greatest(4, length(n::text)), '0');
    END IF;
    UPDATE intake.dossiers d
       SET state = p_state, number = given,
           submitted_at = coalesce(d.submitted_at, core.clock_now()), updated_at = now()
     WHERE d.tenant_id = p_tenant AND d.id = p_id;
    RETURN given;
END
$$;
REVOKE ALL ON FUNCTION intake.number_and_submit(uuid, uuid, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake.number_and_submit(uuid, uuid, text, text, text)
    TO napoleon_intake, napoleon_app;

-- Issue 15, from the security review of the request path's functions (000022, 000024):
-- defence in depth where row-level security already holds.
--
-- * Both run with the caller's rights, so row-level security confines them to the
--   transaction's tenant; a `p_tenant` that is not that tenant is now refused outright
--   instead of silently finding nothing.
-- * A fixed search_path: every name they use is schema-qualified, and no object a session
--   could create (in pg_temp, or a schema earlier on its path) can stand in for a built-in.
-- * The submission writes the submitted state itself and reads the dossier's number from its
--   row (a caller can no longer pass another state or number through it), only from a state
--   that may be submitted, and fails loudly when the dossier is not there: the caller would
--   otherwise journal a submission that changed no row.
-- * The units' subtree answers only the roots that exist among the tenant's units.

DROP FUNCTION intake.number_and_submit(uuid, uuid, text, text, text);
-- The number is the row's own (a dossier under complement keeps the one it has; a draft has
-- none and takes the next), read with the row locked: a caller can no longer give one, nor
-- renumber a dossier. The old signature is dropped: during a rolling upgrade the previous
-- release's intake cannot submit until it is replaced (its other routes work).
CREATE FUNCTION intake.number_and_submit(p_tenant uuid, p_id uuid, p_prefix text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
    given text;
BEGIN
    IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM core.current_tenant() THEN
        RAISE EXCEPTION 'number_and_submit: not the transaction''s tenant'
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT d.number INTO given FROM intake.dossiers d
     WHERE d.tenant_id = p_tenant AND d.id = p_id
       AND d.state IN ('brouillon', 'complement_demande')
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'number_and_submit: no dossier to submit'
              USING ERRCODE = 'no_data_found';
    END IF;
    IF given IS NULL THEN
        -- The counter row stays locked until commit: numbers are gapless and unique per
        -- prefix, across the campaigns that share it.
        INSERT INTO intake.number_counters AS c (tenant_id, prefix, last_number)
        VALUES (p_tenant, p_prefix, 1)
        ON CONFLICT (tenant_id, prefix) DO UPDATE SET last_number = c.last_number + 1
        RETURNING c.last_number INTO n;
        -- Four digits at least, as `{n:04}`.
        given := p_prefix || '-' || lpad(n::text, greatest(4, length(n::text)), '0');
    END IF;
    UPDATE intake.dossiers d
       SET state = 'depose', number = given,
           submitted_at = coalesce(d.submitted_at, core.clock_now()),
           updated_at = core.clock_now()
     WHERE d.tenant_id = p_tenant AND d.id = p_id;
    RETURN given;
END
$$;
REVOKE ALL ON FUNCTION intake.number_and_submit(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake.number_and_submit(uuid, uuid, text)
    TO napoleon_intake, napoleon_app;

CREATE OR REPLACE FUNCTION core.subtree_units(p_tenant uuid, p_roots uuid[]) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM core.current_tenant() THEN
        RAISE EXCEPTION 'subtree_units: not the transaction''s tenant'
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
    WITH RECURSIVE t(id) AS (
        SELECT u.id FROM core.org_units u
         WHERE u.tenant_id = p_tenant AND u.id = ANY (p_roots)
        UNION
        SELECT u.id FROM core.org_units u JOIN t ON u.parent_id = t.id
         WHERE u.tenant_id = p_tenant
    )
    SELECT t.id FROM t;
END
$$;

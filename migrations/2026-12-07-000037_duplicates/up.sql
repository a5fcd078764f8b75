-- Issue 18, Build 6: the same person proposed twice. A dossier is compared with the tenant's
-- other open dossiers of the same distinction and with the registry's holders of the grade it
-- proposes: the same names and birth date (exact), a close name with the same birth date
-- (trigram similarity), or the same names with another birth date (a possible homonym). The
-- instructeur confirms or dismisses each (instruction.duplicate_reviews, journaled).

-- pg_trgm is a trusted extension, created like unaccent (migration 000032) in its own schema;
-- where a database already has it, that copy is used.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ext;

-- How alike two folded names are (0 to 1): pg_trgm's similarity, resolved once here
-- whatever the caller's search_path. STABLE: pg_trgm's word boundaries follow the locale;
-- nothing stores or indexes it.
DO $$
DECLARE
    schema text;
BEGIN
    SELECT n.nspname INTO schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    EXECUTE format(
        'CREATE FUNCTION core.name_similarity(a text, b text) RETURNS real '
        'LANGUAGE sql STABLE PARALLEL SAFE STRICT '
        'RETURN %I.similarity(a, b)', schema);
END
$$;
GRANT EXECUTE ON FUNCTION core.name_similarity(text, text) TO napoleon_app, napoleon_service;

-- A date as the form keeps it (« 28/02/1962 » as typed, or « 1962-02-28 », one-digit day
-- and month too, as the form reads them), as ISO text; NULL for anything else. Plain text work, so IMMUTABLE (to_date depends on settings).
CREATE FUNCTION core.iso_date(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE
        WHEN btrim(t) ~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' THEN
            split_part(btrim(t), '-', 1) || '-' || lpad(split_part(btrim(t), '-', 2), 2, '0')
            || '-' || lpad(split_part(btrim(t), '-', 3), 2, '0')
        WHEN btrim(t) ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$' THEN
            split_part(btrim(t), '/', 3) || '-' || lpad(split_part(btrim(t), '/', 2), 2, '0')
            || '-' || lpad(split_part(btrim(t), '/', 1), 2, '0')
    END;
GRANT EXECUTE ON FUNCTION core.iso_date(text) TO napoleon_app, napoleon_service;

-- A person's names as duplicates compare them: folded birth name and first given name, the
-- first two parts of registry.person_key (migration 000034), by the same rule. NULL without
-- a birth name: a draft not yet named matches nothing.
CREATE FUNCTION core.name_key(birth_name text, given_names text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN nullif(coalesce(core.fold(birth_name), ''), '') || '|'
        || coalesce(core.fold(split_part(regexp_replace(btrim(given_names),
               '[[:space:],]+', ' ', 'g'), ' ', 1)), '');
GRANT EXECUTE ON FUNCTION core.name_key(text, text) TO napoleon_app, napoleon_service;

-- Stored, so that the comparisons are plain text equalities: leakproof, so their indexes
-- serve under forced row-level security.
ALTER TABLE intake.dossiers
    ADD COLUMN name_key text GENERATED ALWAYS AS (core.name_key(
        content->'candidate'->>'birth_name', content->'candidate'->>'given_names')) STORED,
    ADD COLUMN born text GENERATED ALWAYS AS (core.iso_date(
        content->'candidate'->>'birth_date')) STORED;
CREATE INDEX dossiers_by_person ON intake.dossiers (tenant_id, name_key, born);
CREATE INDEX dossiers_by_birth ON intake.dossiers (tenant_id, born);

ALTER TABLE registry.laureates
    ADD COLUMN name_key text GENERATED ALWAYS AS (core.name_key(
        identity->>'birth_name', identity->>'given_names')) STORED,
    ADD COLUMN born text GENERATED ALWAYS AS (core.iso_date(identity->>'birth_date')) STORED;
CREATE INDEX laureates_by_name_key ON registry.laureates (tenant_id, name_key, born);
CREATE INDEX laureates_by_birth ON registry.laureates (tenant_id, born);

-- The contract views gain the keys (new columns go last; the views keep their options).
CREATE OR REPLACE VIEW intake.dossiers_v1 WITH (security_invoker = false) AS
    SELECT d.tenant_id, d.id, d.campaign_id, c.distinction, d.unit_id, d.level_unit_id,
           d.state, d.number, d.target_grade, d.content, d.laureate_id, d.submitted_at,
           d.updated_at, d.name_key, d.born, d.folded_name
    FROM intake.dossiers d
    JOIN intake.campaigns c ON c.tenant_id = d.tenant_id AND c.id = d.campaign_id;

CREATE OR REPLACE VIEW registry.laureates_v1 WITH (security_invoker = false) AS
    SELECT l.tenant_id, l.id, l.identity, l.folded_name, l.sort_name, l.name_key, l.born
    FROM registry.laureates l
    WHERE l.tenant_id = core.current_tenant();

-- The possible duplicates of dossier p_dossier of tenant p_tenant, as a JSON array (one
-- statement a connection keeps prepared: napoleon_db::duplicates): other dossiers of the
-- tenant for the same distinction whose state is not one of p_closed, and laureates holding
-- the grade the dossier proposes (not through this dossier's own publication), each exact (same name_key and birth date), close (same
-- birth date, similarity of the folded names ≥ p_close) or homonym (same name_key, another
-- birth date). Each comparison is its own branch, joined on one stored key by plain text
-- equality: leakproof, so the (tenant, name_key, born) and (tenant, born) indexes serve under
-- forced row-level security; the similarity, not leakproof, only filters the few rows born
-- that day. A dossier without a birth name matches nothing (its name_key is NULL).
-- Invoker's rights: the caller reads through the contract views as it would itself.
CREATE FUNCTION intake.possible_duplicates(p_tenant uuid, p_dossier uuid, p_closed text[],
                                           p_close real, p_limit integer)
RETURNS jsonb LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
WITH me AS (
    SELECT d.id, d.distinction, d.target_grade, d.name_key, d.born, d.folded_name
    FROM intake.dossiers_v1 d
    WHERE d.tenant_id = p_tenant AND p_tenant = core.current_tenant()
      AND d.id = p_dossier AND d.name_key IS NOT NULL
), dossier_hits AS (
    SELECT o.id FROM me JOIN intake.dossiers_v1 o
        ON o.tenant_id = p_tenant AND o.name_key = me.name_key
    UNION
    SELECT o.id FROM me JOIN intake.dossiers_v1 o
        ON o.tenant_id = p_tenant AND o.born = me.born
    WHERE core.name_similarity(o.folded_name, me.folded_name) >= p_close
), laureate_hits AS (
    SELECT l.id FROM me JOIN registry.laureates_v1 l
        ON l.tenant_id = p_tenant AND l.name_key = me.name_key
    UNION
    SELECT l.id FROM me JOIN registry.laureates_v1 l
        ON l.tenant_id = p_tenant AND l.born = me.born
    WHERE core.name_similarity(l.folded_name, me.folded_name) >= p_close
), found AS (
    SELECT 'dossier'::text AS source,
           CASE WHEN o.name_key = me.name_key AND o.born = me.born THEN 'exact'
                WHEN o.born = me.born THEN 'close' ELSE 'homonym' END AS kind,
           o.id AS other_id, o.number, o.unit_id, u.name AS unit_name, o.level_unit_id,
           o.state, o.campaign_id, c.label AS campaign_label, NULL::text AS grade,
           NULL::date AS decree_date
    FROM me
    JOIN dossier_hits h ON h.id <> me.id
    JOIN intake.dossiers_v1 o ON o.tenant_id = p_tenant AND o.id = h.id
    JOIN intake.campaigns_v1 c ON c.tenant_id = p_tenant AND c.id = o.campaign_id
    JOIN core.org_units u ON u.tenant_id = p_tenant AND u.id = o.unit_id
    WHERE o.distinction = me.distinction AND o.state <> ALL (p_closed)
    UNION ALL
    SELECT * FROM (
        SELECT DISTINCT ON (l.id) 'laureate'::text,
               CASE WHEN l.name_key = me.name_key AND l.born = me.born THEN 'exact'
                    WHEN l.born = me.born THEN 'close' ELSE 'homonym' END,
               l.id, NULL::text, NULL::uuid, NULL::text, NULL::uuid, NULL::text, NULL::uuid,
               NULL::text, a.grade, a.decree_date
        FROM me
        JOIN laureate_hits h ON true
        JOIN registry.laureates_v1 l ON l.tenant_id = p_tenant AND l.id = h.id
        JOIN registry.awards_v1 a ON a.tenant_id = p_tenant AND a.laureate_id = l.id
            AND a.distinction = me.distinction AND a.grade = me.target_grade
            -- Not the award this very dossier was published into.
            AND a.dossier_id IS DISTINCT FROM me.id
        ORDER BY l.id, a.decree_date
    ) held
)
-- The surest first, at most p_limit (a common name against a large registry).
SELECT coalesce(jsonb_agg(to_jsonb(f)), '[]'::jsonb)
FROM (
    SELECT * FROM found
    ORDER BY CASE kind WHEN 'exact' THEN 0 WHEN 'close' THEN 1 ELSE 2 END, source, other_id
    LIMIT p_limit
) f
$$;
REVOKE ALL ON FUNCTION intake.possible_duplicates(uuid, uuid, text[], real, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake.possible_duplicates(uuid, uuid, text[], real, integer)
    TO napoleon_app, napoleon_intake, napoleon_instruction;

-- What the instructeur said of each possible duplicate of a dossier: the same person
-- (confirmed) or not (dismissed). Said again, it replaces; each is journaled.
CREATE TABLE instruction.duplicate_reviews (
    tenant_id   uuid NOT NULL,
    dossier_id  uuid NOT NULL,
    other_kind  text NOT NULL CHECK (other_kind IN ('dossier', 'laureate')),
    other_id    uuid NOT NULL,
    verdict     text NOT NULL CHECK (verdict IN ('confirmed', 'dismissed')),
    -- The match as it was when reviewed: a review of a homonym does not answer for the
    -- exact match a corrected birth date makes of it.
    match_kind  text NOT NULL CHECK (match_kind IN ('exact', 'close', 'homonym')),
    note        text NOT NULL CHECK (length(note) <= 1000),
    agent_id    uuid NOT NULL REFERENCES core.agents (id),
    reviewed_at timestamptz NOT NULL DEFAULT core.clock_now(),
    PRIMARY KEY (tenant_id, dossier_id, other_kind, other_id),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id)
);
ALTER TABLE instruction.duplicate_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE instruction.duplicate_reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON instruction.duplicate_reviews
    USING (tenant_id = core.current_tenant()) WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT, UPDATE ON instruction.duplicate_reviews
    TO napoleon_app, napoleon_instruction;

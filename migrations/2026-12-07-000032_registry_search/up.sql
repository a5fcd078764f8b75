-- Issue 18, first part: the registry searched by name with accents and case ignored
-- (« Lefèvre » finds « LEFEVRE »), and read a page at a time in name order.
--
-- unaccent is a trusted extension: the owner creates it, in a schema of its own so that no
-- service's search_path picks up its objects by accident. Where a database already has it
-- (in public, say), that copy is used: core.fold names whichever schema holds it.
CREATE SCHEMA IF NOT EXISTS ext;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA ext;
GRANT USAGE ON SCHEMA ext TO napoleon_app, napoleon_service;

-- A name as searched and sorted: lower case, no accents, and hyphens, apostrophes and runs of
-- spaces as one space (« Jean-Pierre  d'Aubigné » is « jean pierre d aubigne »).
-- unaccent() is only STABLE (its dictionary could be changed); this wrapper names the
-- dictionary and is declared IMMUTABLE so that names can be folded in generated columns.
-- Changing the dictionary, or an upgrade that changes lower() or the regular expressions'
-- classes, means rewriting the rows (docs/operations.md, « Registry search »).
-- A standard SQL body: resolved once, here, whatever the caller's search_path.
DO $$
DECLARE
    schema text;
BEGIN
    SELECT n.nspname INTO schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'unaccent';
    EXECUTE format(
        'CREATE FUNCTION core.fold(t text) RETURNS text '
        'LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT '
        'RETURN btrim(regexp_replace(lower(%I.unaccent(%L::regdictionary, t)), '
        '''[[:space:]''''’-]+'', '' '', ''g''))',
        schema, schema || '.unaccent');
END
$$;
GRANT EXECUTE ON FUNCTION core.fold(text) TO napoleon_app, napoleon_service;

-- Every name of the laureate, folded, for the search; the name as the registry sorts it
-- (usual name, else birth name, then given names), indexed for the pages' keyset.
--
-- No trigram index: under forced row-level security PostgreSQL uses an index only for
-- leakproof operators, and LIKE or strpos are not — a name search reads the tenant's
-- laureates (tens of milliseconds for 50,000). The volume benchmark of issue 18 decides what
-- replaces it (folded words searched by prefix through a leakproof btree, for instance).
ALTER TABLE registry.laureates
    ADD COLUMN folded_name text NOT NULL GENERATED ALWAYS AS (core.fold(
        coalesce(identity->>'birth_name', '') || ' ' || coalesce(identity->>'usual_name', '')
        || ' ' || coalesce(identity->>'given_names', ''))) STORED,
    ADD COLUMN sort_name text NOT NULL GENERATED ALWAYS AS (core.fold(
        coalesce(nullif(identity->>'usual_name', ''), identity->>'birth_name', '')
        || ' ' || coalesce(identity->>'given_names', ''))) STORED;
CREATE INDEX laureates_in_name_order ON registry.laureates (tenant_id, sort_name, id);
CREATE INDEX awards_by_distinction ON registry.awards (tenant_id, distinction, laureate_id);

-- The contract promotion reads the registry's people through (in decisions' schema, beside
-- registry.awards_v1; owned by the owner role, which forced row-level security still binds);
-- it filters its tenant itself, like the other contract views.
CREATE VIEW registry.laureates_v1 WITH (security_invoker = false) AS
    SELECT l.tenant_id, l.id, l.identity, l.folded_name, l.sort_name
    FROM registry.laureates l
    WHERE l.tenant_id = core.current_tenant();
GRANT SELECT ON registry.laureates_v1 TO napoleon_app, napoleon_service;

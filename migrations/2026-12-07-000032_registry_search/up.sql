-- Issue 18, first part: the registry searched by name with accents and case ignored
-- (« Lefèvre » finds « LEFEVRE »), and read a page at a time in name order.
--
-- unaccent and pg_trgm are trusted extensions: the owner creates them, in a schema of
-- their own so that no service's search_path picks up their objects by accident.
CREATE SCHEMA IF NOT EXISTS ext;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA ext;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ext;
GRANT USAGE ON SCHEMA ext TO napoleon_app, napoleon_service;

-- A name as searched and sorted: lower case, no accents, and hyphens, apostrophes and runs of
-- spaces as one space (« Jean-Pierre  d'Aubigné » is « jean pierre d aubigne »).
-- unaccent() is only STABLE (its dictionary could be changed); this wrapper names the
-- dictionary and is declared IMMUTABLE so that names can be folded in generated columns and
-- indexes. Changing the dictionary means rewriting the rows (UPDATE … SET identity = identity).
-- A standard SQL body: resolved once, here, whatever the caller's search_path.
CREATE FUNCTION core.fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN btrim(regexp_replace(lower(ext.unaccent('ext.unaccent'::regdictionary, t)),
                                '[[:space:]''’-]+', ' ', 'g'));
GRANT EXECUTE ON FUNCTION core.fold(text) TO napoleon_app, napoleon_service;

-- Every name of the laureate, folded, for the search (a trigram index serves LIKE '%…%');
-- the name as the registry sorts it (usual name, else birth name, then given names).
ALTER TABLE registry.laureates
    ADD COLUMN folded_name text NOT NULL GENERATED ALWAYS AS (core.fold(
        coalesce(identity->>'birth_name', '') || ' ' || coalesce(identity->>'usual_name', '')
        || ' ' || coalesce(identity->>'given_names', ''))) STORED,
    ADD COLUMN sort_name text NOT NULL GENERATED ALWAYS AS (core.fold(
        coalesce(nullif(identity->>'usual_name', ''), identity->>'birth_name', '')
        || ' ' || coalesce(identity->>'given_names', ''))) STORED;
CREATE INDEX laureates_folded_name ON registry.laureates
    USING gin (folded_name ext.gin_trgm_ops);
CREATE INDEX laureates_in_name_order ON registry.laureates (tenant_id, sort_name, id);
CREATE INDEX awards_by_distinction ON registry.awards (tenant_id, distinction, laureate_id);

-- The contract promotion reads the registry's people through (owned by decisions, as
-- registry.awards_v1); it filters its tenant itself, like the other contract views.
CREATE VIEW registry.laureates_v1 WITH (security_invoker = false) AS
    SELECT l.tenant_id, l.id, l.identity, l.folded_name, l.sort_name
    FROM registry.laureates l
    WHERE l.tenant_id = core.current_tenant();
GRANT SELECT ON registry.laureates_v1 TO napoleon_app, napoleon_service;

-- Issue 18, Build 4: the registry's name search through an index.
--
-- Migration 000032 searched a name with strpos over every laureate of the tenant: under forced
-- row-level security PostgreSQL uses an index only for leakproof operators, and neither LIKE,
-- strpos nor pg_trgm's operators are. On a registry of a million laureates that is seconds
-- per search. Here every word of a laureate's folded names is a row, in byte order (COLLATE
-- "C"), so that « the words beginning with lef » is a range of plain text comparisons
-- (text_ge, text_lt: leakproof) that a btree answers under the policy. A search matches the
-- laureates of whom every typed word begins one of their names' words (« lef jea » finds
-- « LEFEVRE Jeanne »; « fevre » alone no longer finds « LEFEVRE »).
--
-- The search index carries the laureate's sort name and folded names: the page's candidates
-- come from the index alone (no heap fetch per candidate), the other typed words are checked
-- on the folded names it carries, and only the page's laureates are read from their table.
CREATE TABLE registry.laureate_words (
    tenant_id uuid NOT NULL,
    laureate_id uuid NOT NULL,
    word text COLLATE "C" NOT NULL,
    sort_name text NOT NULL,
    folded_name text NOT NULL,
    PRIMARY KEY (tenant_id, laureate_id, word),
    FOREIGN KEY (tenant_id, laureate_id) REFERENCES registry.laureates (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX laureate_words_search ON registry.laureate_words
    (tenant_id, word, sort_name, laureate_id) INCLUDE (folded_name);
ALTER TABLE registry.laureate_words ENABLE ROW LEVEL SECURITY;
ALTER TABLE registry.laureate_words FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON registry.laureate_words
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());

-- The words are written by triggers, whoever writes the laureates (decisions' registration,
-- the imports, a COPY): statement-level, over the transition table, so that a batch or a COPY
-- of thousands of laureates writes its words in one statement. Invoker's rights: the writer
-- of the laureates writes their words under the same policy (its tenant set), so the roles
-- that write laureates hold the same grants here; a superuser's COPY, outside any tenant,
-- writes them as it writes the laureates. A laureate's removal removes its words (the foreign
-- key's cascade).
CREATE FUNCTION registry.words_of_added() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO registry.laureate_words (tenant_id, laureate_id, word, sort_name, folded_name)
    SELECT DISTINCT a.tenant_id, a.id, w, a.sort_name, a.folded_name
    FROM added a, regexp_split_to_table(a.folded_name, ' ') w
    WHERE w <> '';
    RETURN NULL;
END
$$;
GRANT SELECT, INSERT, DELETE ON registry.laureate_words TO napoleon_app, napoleon_decisions;

CREATE TRIGGER words_of_added AFTER INSERT ON registry.laureates
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION registry.words_of_added();

-- An identity corrected: the changed laureates' words are written again.
CREATE FUNCTION registry.words_of_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM registry.laureate_words w
    USING before b JOIN after a ON a.tenant_id = b.tenant_id AND a.id = b.id
    WHERE w.tenant_id = b.tenant_id AND w.laureate_id = b.id
      AND (a.folded_name, a.sort_name) IS DISTINCT FROM (b.folded_name, b.sort_name);
    INSERT INTO registry.laureate_words (tenant_id, laureate_id, word, sort_name, folded_name)
    SELECT DISTINCT a.tenant_id, a.id, w, a.sort_name, a.folded_name
    FROM after a JOIN before b ON b.tenant_id = a.tenant_id AND b.id = a.id,
         regexp_split_to_table(a.folded_name, ' ') w
    WHERE w <> ''
      AND (a.folded_name, a.sort_name) IS DISTINCT FROM (b.folded_name, b.sort_name);
    RETURN NULL;
END
$$;
CREATE TRIGGER words_of_changed AFTER UPDATE ON registry.laureates
    REFERENCING OLD TABLE AS before NEW TABLE AS after
    FOR EACH STATEMENT EXECUTE FUNCTION registry.words_of_changed();

-- The laureates already there (forced row-level security binds the owner too: each
-- tenant's rows are written with that tenant set).
DO $$
DECLARE
    t uuid;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t::text, true);
        INSERT INTO registry.laureate_words (tenant_id, laureate_id, word, sort_name, folded_name)
        SELECT DISTINCT l.tenant_id, l.id, w, l.sort_name, l.folded_name
        FROM registry.laureates l, regexp_split_to_table(l.folded_name, ' ') w
        WHERE l.tenant_id = t AND w <> '';
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;

-- The contract promotion searches through (as registry.laureates_v1, it filters its tenant
-- itself).
CREATE VIEW registry.laureate_words_v1 WITH (security_invoker = false) AS
    SELECT w.tenant_id, w.laureate_id, w.word, w.sort_name, w.folded_name
    FROM registry.laureate_words w
    WHERE w.tenant_id = core.current_tenant();
GRANT SELECT ON registry.laureate_words_v1 TO napoleon_app, napoleon_service;

-- Issue 18: the registry imported in bulk from an agent's file (CSV, XLSX, ODS), and the
-- laureates' careers. Decisions writes the registry: what its lists publish, what imports
-- bring, and the careers (service periods) of both (ARCHITECTURE.md).

-- One import of one file. Rows are committed a batch at a time; `rows_done` is the last file
-- row whose batch committed: a re-run of the same file (same sha256) after a crash starts
-- after it. An import is undone as a whole while nothing depends on what it added.
CREATE TABLE registry.imports (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    id          uuid NOT NULL,
    -- The name the agent's file had (shown only).
    file_name   text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    -- What napoleon_tabular detected (« CSV, Windows-1252, séparateur « ; » »).
    detected    text NOT NULL CHECK (length(detected) <= 200),
    state       text NOT NULL DEFAULT 'en_cours' CHECK (state IN ('en_cours', 'termine', 'annule')),
    rows_done   bigint NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    inserted    bigint NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    existing    bigint NOT NULL DEFAULT 0 CHECK (existing >= 0),
    rejected    bigint NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    -- The agent who started it (none from the command line: the journal says `system:cli`).
    started_by  uuid REFERENCES core.agents (id),
    started_at  timestamptz NOT NULL DEFAULT core.clock_now(),
    finished_at timestamptz,
    undone_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    CHECK ((state = 'termine') <= (finished_at IS NOT NULL)),
    CHECK ((state = 'annule') = (undone_at IS NOT NULL))
);
-- One unfinished import per file: the re-run finds it.
CREATE UNIQUE INDEX imports_unfinished_by_file ON registry.imports (tenant_id, sha256)
    WHERE state = 'en_cours';
CREATE INDEX imports_latest ON registry.imports (tenant_id, started_at DESC, id);

-- The rows an import refused: row, column, value, reason (the line-level report).
CREATE TABLE registry.import_problems (
    tenant_id uuid NOT NULL,
    import_id uuid NOT NULL,
    line      bigint NOT NULL CHECK (line > 0),
    -- The column's header as the template names it ('' for the whole row).
    col       text NOT NULL CHECK (length(col) <= 100),
    value     text NOT NULL CHECK (length(value) <= 200),
    reason    text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    PRIMARY KEY (tenant_id, import_id, line, col),
    FOREIGN KEY (tenant_id, import_id) REFERENCES registry.imports (tenant_id, id)
);

-- A person as imports recognise them: folded birth name, folded first given name, birth date
-- (the natural key of an award adds its distinction, grade and decree date). « Jean-Pierre »
-- counts as « jean pierre »: only spaces and commas separate given names.
CREATE FUNCTION registry.person_key(identity jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(core.fold(identity->>'birth_name'), '') || '|'
        || coalesce(core.fold(split_part(regexp_replace(btrim(identity->>'given_names'),
               '[[:space:],]+', ' ', 'g'), ' ', 1)), '') || '|'
        || coalesce(identity->>'birth_date', '');
GRANT EXECUTE ON FUNCTION registry.person_key(jsonb) TO napoleon_app, napoleon_service;

ALTER TABLE registry.laureates
    ADD COLUMN person_key text NOT NULL GENERATED ALWAYS AS (registry.person_key(identity)) STORED,
    ADD COLUMN import_id uuid,
    ADD FOREIGN KEY (tenant_id, import_id) REFERENCES registry.imports (tenant_id, id);
-- Equality on text is leakproof: this index serves imports under forced row-level security.
CREATE INDEX laureates_by_person ON registry.laureates (tenant_id, person_key);
CREATE INDEX laureates_of_import ON registry.laureates (tenant_id, import_id) WHERE import_id IS NOT NULL;

ALTER TABLE registry.awards
    ADD COLUMN import_id uuid,
    ADD FOREIGN KEY (tenant_id, import_id) REFERENCES registry.imports (tenant_id, id);
-- The award's natural key: the same file imported twice adds nothing.
CREATE UNIQUE INDEX awards_natural_key
    ON registry.awards (tenant_id, laureate_id, distinction, grade, decree_date);
CREATE INDEX awards_of_import ON registry.awards (tenant_id, import_id) WHERE import_id IS NOT NULL;

-- A laureate's career, for the promotion radar (the dossier's « Carrière » step, same kinds).
CREATE TABLE registry.service_periods (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    laureate_id uuid NOT NULL,
    starts_on   date NOT NULL,
    ends_on     date CHECK (ends_on IS NULL OR ends_on >= starts_on),
    kind        text NOT NULL CHECK (kind IN ('public', 'private', 'elected', 'volunteer', 'military')),
    position    text NOT NULL CHECK (length(position) BETWEEN 1 AND 300),
    import_id   uuid,
    created_at  timestamptz NOT NULL DEFAULT core.clock_now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, laureate_id, starts_on, kind),
    FOREIGN KEY (tenant_id, laureate_id) REFERENCES registry.laureates (tenant_id, id),
    FOREIGN KEY (tenant_id, import_id) REFERENCES registry.imports (tenant_id, id)
);
CREATE INDEX service_periods_of_import ON registry.service_periods (tenant_id, import_id)
    WHERE import_id IS NOT NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['registry.imports', 'registry.import_problems',
                             'registry.service_periods'] LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = core.current_tenant()) '
                       'WITH CHECK (tenant_id = core.current_tenant())', t);
    END LOOP;
END
$$;

-- Imports run from the command line (napoleon_app, the tools' role) and in decisions.
GRANT SELECT, INSERT, UPDATE ON registry.imports, registry.service_periods
    TO napoleon_app, napoleon_decisions;
GRANT SELECT, INSERT ON registry.import_problems TO napoleon_app, napoleon_decisions;
-- Undoing an import deletes what it added, and only that (the store's statements name the
-- import; nothing else deletes from the registry).
GRANT DELETE ON registry.laureates, registry.awards, registry.service_periods
    TO napoleon_app, napoleon_decisions;

-- The import's page (decisions) enqueues its job and shows it, and decisions' own process
-- runs it as decisions' role (the registry has one writer): it leases and finishes its jobs
-- as the worker does — for that kind only. A restrictive policy keeps every other kind of job
-- out of decisions' reach (reading, enqueueing, updating), and the lease refuses it any other
-- kind: `jobs.lease` (owner's rights, across tenants) becomes a wrapper that checks who calls.
GRANT SELECT, INSERT ON jobs.jobs TO napoleon_decisions;
GRANT UPDATE (state, attempts, run_after, lease_owner, lease_until, progress_done,
              progress_total, progress_message, cancel_requested, result, last_error,
              finished_at) ON jobs.jobs TO napoleon_decisions;
CREATE POLICY decisions_runs_registry_imports_only ON jobs.jobs AS RESTRICTIVE
    TO napoleon_decisions
    USING (kind = 'registry.import') WITH CHECK (kind = 'registry.import');
ALTER FUNCTION jobs.lease(text, text[], timestamptz, integer) RENAME TO lease_kinds;
CREATE FUNCTION jobs.lease(p_worker text, p_kinds text[], p_now timestamptz, p_seconds integer)
RETURNS TABLE (tenant_id uuid, id uuid, kind text, payload jsonb, attempts integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, pg_temp AS $$
BEGIN
    -- session_user: the role that connected (current_user is the owner's, here).
    IF session_user = 'napoleon_decisions' AND NOT (p_kinds <@ ARRAY['registry.import']) THEN
        RAISE EXCEPTION 'jobs.lease: decisions leases its registry imports only';
    END IF;
    RETURN QUERY SELECT * FROM jobs.lease_kinds(p_worker, p_kinds, p_now, p_seconds);
END
$$;
REVOKE ALL ON FUNCTION jobs.lease_kinds(text, text[], timestamptz, integer) FROM PUBLIC,
    napoleon_app, napoleon_worker;
REVOKE ALL ON FUNCTION jobs.lease(text, text[], timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs.lease(text, text[], timestamptz, integer)
    TO napoleon_app, napoleon_worker, napoleon_decisions;

-- The personal-data read log: who read which dossier or person, how (a page, the API, a piece,
-- an export), when, and through which request (its id leads to the logs). Apart from the
-- journal, which records changes: reads are many and are kept for a retention period, then
-- purged. Written by one helper (`napoleon_db::readlog::record`) in the transaction of the
-- read; the application may add and read rows, never change them.
CREATE SCHEMA readlog;
GRANT USAGE ON SCHEMA readlog TO napoleon_app;

CREATE TABLE readlog.reads (
    tenant_id    uuid NOT NULL REFERENCES core.tenants (id),
    id           bigint GENERATED ALWAYS AS IDENTITY,
    reader       text NOT NULL CHECK (reader ~ '^(agent|token|job|system):[-a-z0-9_.]{1,64}$'),
    subject_kind text NOT NULL CHECK (subject_kind IN ('dossier', 'laureate')),
    subject_id   uuid NOT NULL,
    channel      text NOT NULL CHECK (channel IN ('page', 'api', 'piece', 'export')),
    request_id   text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 100),
    read_at      timestamptz NOT NULL DEFAULT core.clock_now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX reads_by_time ON readlog.reads (tenant_id, read_at);
CREATE INDEX reads_by_subject ON readlog.reads (tenant_id, subject_id, read_at);
ALTER TABLE readlog.reads ENABLE ROW LEVEL SECURITY;
ALTER TABLE readlog.reads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON readlog.reads
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT ON readlog.reads TO napoleon_app;

-- The retention purge is the only deletion, and it cannot reach the last 30 days: a service
-- that misbehaves cannot erase the trace of what it just read. The application has no DELETE
-- right; this function (owner's rights) deletes the current tenant's reads before `p_before`.
CREATE FUNCTION readlog.purge(p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, readlog, core, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    IF core.current_tenant() IS NULL THEN
        RAISE EXCEPTION 'readlog.purge: no tenant in this transaction';
    END IF;
    IF p_before > core.clock_now() - interval '30 days' THEN
        RAISE EXCEPTION 'readlog.purge: the last 30 days of reads are kept';
    END IF;
    DELETE FROM readlog.reads WHERE tenant_id = core.current_tenant() AND read_at < p_before;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
REVOKE ALL ON FUNCTION readlog.purge(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readlog.purge(timestamptz) TO napoleon_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_purges ON readlog.reads FOR DELETE TO %I USING (true)',
                   current_user);
END $$;

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
-- The retention purge (older than the tenant's period) is the only deletion.
GRANT DELETE ON readlog.reads TO napoleon_app;

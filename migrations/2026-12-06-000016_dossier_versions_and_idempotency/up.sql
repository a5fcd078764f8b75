-- Lost updates and duplicate creates (issue 14).
--
-- * intake.dossiers.version: bumped by every update (a trigger, so no writer can forget it).
--   A save names the version it started from (the page's hidden field, the API's If-Match);
--   another save in between makes it a 409 (`dossier.stale`), never a silent overwrite.
-- * intake.idempotency_keys: a create retried with the same key (the API's Idempotency-Key,
--   the page's hidden field) answers the dossier the first one created, once.
ALTER TABLE intake.dossiers ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0);

CREATE FUNCTION intake.bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER bump_version BEFORE UPDATE ON intake.dossiers
    FOR EACH ROW EXECUTE FUNCTION intake.bump_version();

CREATE TABLE intake.idempotency_keys (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    agent_id    uuid NOT NULL REFERENCES core.agents (id),
    key         text NOT NULL CHECK (key ~ '^[A-Za-z0-9_-]{8,100}$'),
    -- What the first request asked (a hash): the same key for another request is a 409.
    fingerprint text NOT NULL CHECK (length(fingerprint) = 64),
    dossier_id  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT core.clock_now(),
    PRIMARY KEY (tenant_id, agent_id, key),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id)
);
ALTER TABLE intake.idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake.idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON intake.idempotency_keys
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT ON intake.idempotency_keys TO napoleon_app;

-- Platform foundation: schemas, tenants and org units, the hash-chained journal.
--
-- Roles (created outside migrations, see docs/operations.md):
--   * the owner role runs this file and owns every object;
--   * `napoleon_app`, the services' role: not superuser, not owner, NOBYPASSRLS.
-- Every tenant-owned table has `tenant_id` leading its primary key and indexes, and row-level
-- security enabled AND forced, with one policy whose USING and WITH CHECK compare against the
-- tenant set transaction-locally by the tenant-scoped connection (`napoleon.tenant_id`).

CREATE SCHEMA core;
CREATE SCHEMA journal;
CREATE SCHEMA intake;
CREATE SCHEMA instruction;
CREATE SCHEMA decisions;
CREATE SCHEMA promotion;

GRANT USAGE ON SCHEMA core, journal, intake, instruction, decisions, promotion TO napoleon_app;
-- `serve` and `/readyz` compare the applied migrations with the embedded ones.
GRANT SELECT ON public.__diesel_schema_migrations TO napoleon_app;

-- The tenant of the current transaction, or NULL when none is set. NULLIF because a setting
-- once set with set_config(..., true) reads back as '' after its transaction ends on a pooled
-- connection; NULL makes every policy comparison false, so a forgotten tenant sees nothing.
-- LANGUAGE sql + STABLE lets the planner inline it and evaluate it once per statement.
CREATE FUNCTION core.current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('napoleon.tenant_id', true), '')::uuid $$;
GRANT EXECUTE ON FUNCTION core.current_tenant() TO napoleon_app;

-- Tenants are platform data (created by operators), not tenant-owned rows: no tenant_id, no RLS.
CREATE TABLE core.tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    is_sandbox  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON core.tenants TO napoleon_app;

CREATE TABLE core.org_units (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    id          uuid NOT NULL,
    parent_id   uuid,
    kind        text NOT NULL CHECK (kind IN ('ministere', 'direction', 'prefecture_region',
                                               'prefecture_departement', 'service_regional')),
    code        text NOT NULL CHECK (code ~ '^[A-Z0-9-]{1,20}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, kind, code),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES core.org_units (tenant_id, id),
    -- Only the ministry itself is a root.
    CHECK ((parent_id IS NULL) = (kind = 'ministere'))
);
CREATE INDEX org_units_parent ON core.org_units (tenant_id, parent_id);
ALTER TABLE core.org_units ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.org_units FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.org_units
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT, UPDATE ON core.org_units TO napoleon_app;

-- The journal: append-only, one hash chain per tenant.
-- `heads` holds each chain's last link; only the chaining trigger (SECURITY DEFINER, as the
-- owner) touches it, so the application can neither read nor rewind it.
CREATE TABLE journal.heads (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    seq         bigint NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (tenant_id)
);
ALTER TABLE journal.heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE journal.heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON journal.heads
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());

CREATE TABLE journal.events (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    seq         bigint NOT NULL,
    actor       text NOT NULL,
    subject     text NOT NULL,
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at timestamptz NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX events_subject ON journal.events (tenant_id, subject, seq);
ALTER TABLE journal.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE journal.events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON journal.events
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
-- No UPDATE or DELETE for the application: append and read only.
GRANT SELECT, INSERT ON journal.events TO napoleon_app;

-- The bytes a link hashes, besides the previous hash. Each text field is length-prefixed (in
-- bytes) so no choice of field contents can make two different events hash alike. The Rust
-- verifier (shared/db/src/journal.rs) rebuilds exactly this; keep the two in step.
CREATE FUNCTION journal.link_text(
    p_tenant uuid, p_seq bigint, p_actor text, p_subject text, p_kind text, p_payload jsonb,
    p_occurred_at timestamptz
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'napoleon-journal-v1' || E'\n'
        || p_tenant::text || E'\n'
        || p_seq::text || E'\n'
        || octet_length(p_actor)::text || ':' || p_actor || E'\n'
        || octet_length(p_subject)::text || ':' || p_subject || E'\n'
        || octet_length(p_kind)::text || ':' || p_kind || E'\n'
        || octet_length(p_payload::text)::text || ':' || p_payload::text || E'\n'
        || (extract(epoch FROM p_occurred_at) * 1000000)::bigint::text
$$;

-- Fills seq, occurred_at, prev_hash and hash, whatever the inserter supplied: the chain is
-- computed by the database, under a row lock on the tenant's head, so concurrent appends of
-- one tenant serialize and appends of different tenants do not contend.
CREATE FUNCTION journal.chain_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, journal, core
    AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
BEGIN
    INSERT INTO journal.heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 0, '\x'::bytea)
        ON CONFLICT (tenant_id) DO NOTHING;
    SELECT h.seq, h.hash INTO head_seq, head_hash
        FROM journal.heads h WHERE h.tenant_id = NEW.tenant_id FOR UPDATE;
    NEW.seq := head_seq + 1;
    NEW.prev_hash := head_hash;
    NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
    NEW.hash := sha256(convert_to(journal.link_text(NEW.tenant_id, NEW.seq, NEW.actor,
        NEW.subject, NEW.kind, NEW.payload, NEW.occurred_at), 'UTF8') || NEW.prev_hash);
    UPDATE journal.heads SET seq = NEW.seq, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION journal.chain_event() FROM PUBLIC;
CREATE TRIGGER chain BEFORE INSERT ON journal.events
    FOR EACH ROW EXECUTE FUNCTION journal.chain_event();

-- Belt and braces behind the missing grants: even a role with UPDATE/DELETE rights is refused
-- until someone with ownership disables this trigger (which `journal verify` then exposes).
CREATE FUNCTION journal.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'le journal est en ajout seul : % refusé', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON journal.events
    FOR EACH ROW EXECUTE FUNCTION journal.refuse_change();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON journal.events
    FOR EACH STATEMENT EXECUTE FUNCTION journal.refuse_change();

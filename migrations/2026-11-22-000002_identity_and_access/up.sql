-- Identity and access: agents, memberships, admission rules, sessions, casbin policies.
--
-- Login must find an agent's memberships across tenants before any tenant is chosen. Rather
-- than a role that bypasses row-level security, the gateway opens an *identity transaction*
-- that sets `napoleon.agent_id` (and the agent's email and idp) transaction-locally, after it
-- has verified the ID token; narrow extra policies then let that transaction see (and claim)
-- only that agent's own rows. Tenant isolation is unchanged for every other query.

CREATE SCHEMA authz;
GRANT USAGE ON SCHEMA authz TO napoleon_app;

CREATE FUNCTION core.current_agent() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('napoleon.agent_id', true), '')::uuid $$;
CREATE FUNCTION core.current_agent_email() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT lower(NULLIF(current_setting('napoleon.agent_email', true), '')) $$;
CREATE FUNCTION core.current_agent_idp() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('napoleon.agent_idp', true), '') $$;
GRANT EXECUTE ON FUNCTION core.current_agent(), core.current_agent_email(), core.current_agent_idp()
    TO napoleon_app;

-- What a tenant requires of a login (e.g. MFA through ProConnect's acr values).
ALTER TABLE core.tenants ADD COLUMN required_acr text[] NOT NULL DEFAULT '{}';

-- Agents are platform data: one person may belong to several ministries. Identity key:
-- issuer + subject. Names and email are refreshed at every login.
CREATE TABLE core.agents (
    id            uuid PRIMARY KEY,
    issuer        text NOT NULL,
    subject       text NOT NULL,
    email         text NOT NULL,
    given_name    text NOT NULL,
    usual_name    text NOT NULL,
    idp_id        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, subject)
);
GRANT SELECT, INSERT, UPDATE ON core.agents TO napoleon_app;

-- A role held by an email (before the first login) or an agent (after), at one unit; a role
-- at the ministry's root covers the whole tenant. role NULL: admitted, no role granted yet.
CREATE TABLE core.memberships (
    tenant_id  uuid NOT NULL REFERENCES core.tenants (id),
    id         uuid NOT NULL,
    email      text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    agent_id   uuid REFERENCES core.agents (id),
    unit_id    uuid NOT NULL,
    role       text CHECK (role IN ('redacteur', 'instructeur', 'valideur', 'integrateur',
                                    'membre_commission', 'administrateur', 'auditeur')),
    granted_by text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES core.org_units (tenant_id, id)
);
CREATE UNIQUE INDEX memberships_unique_grant
    ON core.memberships (tenant_id, email, unit_id, (coalesce(role, '')));
CREATE INDEX memberships_agent ON core.memberships (tenant_id, agent_id);
ALTER TABLE core.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.memberships
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
-- The identity transaction sees the agent's own memberships in every tenant…
CREATE POLICY own_memberships ON core.memberships FOR SELECT
    USING (agent_id = core.current_agent()
           OR (agent_id IS NULL AND email = core.current_agent_email()));
-- …and claims those granted to its email before its first login.
CREATE POLICY claim_by_email ON core.memberships FOR UPDATE
    USING (agent_id IS NULL AND email = core.current_agent_email())
    WITH CHECK (agent_id = core.current_agent());
GRANT SELECT, INSERT, UPDATE, DELETE ON core.memberships TO napoleon_app;

-- A tenant may admit agents by email domain or ProConnect idp_id, with no role until granted.
CREATE TABLE core.admission_rules (
    tenant_id uuid NOT NULL REFERENCES core.tenants (id),
    id        uuid NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('email_domain', 'idp_id')),
    value     text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, kind, value)
);
ALTER TABLE core.admission_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.admission_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.admission_rules
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
-- The identity transaction sees only the rules that admit this very agent.
CREATE POLICY admits_current_agent ON core.admission_rules FOR SELECT
    USING ((kind = 'email_domain' AND value = split_part(core.current_agent_email(), '@', 2))
           OR (kind = 'idp_id' AND value = core.current_agent_idp()));
GRANT SELECT, INSERT, DELETE ON core.admission_rules TO napoleon_app;

-- Server-side sessions (platform data: a session exists before any tenant is chosen).
CREATE TABLE core.sessions (
    id         text PRIMARY KEY,
    agent_id   uuid REFERENCES core.agents (id),
    data       jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_agent ON core.sessions (agent_id);
CREATE INDEX sessions_expiry ON core.sessions (expires_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON core.sessions TO napoleon_app;

-- casbin policy rules per tenant (ptype p: role, tenant, resource, action).
CREATE TABLE authz.policy_rules (
    tenant_id uuid NOT NULL REFERENCES core.tenants (id),
    id        uuid NOT NULL,
    ptype     text NOT NULL CHECK (ptype IN ('p', 'g')),
    v0        text NOT NULL DEFAULT '',
    v1        text NOT NULL DEFAULT '',
    v2        text NOT NULL DEFAULT '',
    v3        text NOT NULL DEFAULT '',
    v4        text NOT NULL DEFAULT '',
    v5        text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, ptype, v0, v1, v2, v3, v4, v5)
);
ALTER TABLE authz.policy_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE authz.policy_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON authz.policy_rules
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT, DELETE ON authz.policy_rules TO napoleon_app;

-- Bumped by every policy change: each instance compares it with the version it cached.
CREATE TABLE authz.policy_versions (
    tenant_id uuid NOT NULL REFERENCES core.tenants (id),
    version   bigint NOT NULL,
    PRIMARY KEY (tenant_id)
);
ALTER TABLE authz.policy_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE authz.policy_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON authz.policy_versions
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT, UPDATE ON authz.policy_versions TO napoleon_app;

-- Identity follows the provider's (issuer, subject), never an e-mail asserted by just any
-- configured provider (issue 14, finding 1), and an agent's name is a tenant's business only
-- once the agent belongs to it (finding 2).
--
-- * core.agents.email_verified: the provider's claim, NULL when it gives none (ProConnect
--   does not: its e-mails are the identity providers' own).
-- * core.tenants.trusted_issuers / trusted_idp_ids: the providers through which a grant made
--   to an e-mail may be claimed and an admission rule admits. Empty: none, so nothing is
--   claimable until an operator says which (tenants created on /exploitation trust the
--   providers ticked there; the demo trusts its own).
-- * core.operators: platform operators, added by `napoleon operators add` with an e-mail and
--   the issuer it must come through, pinned to the agent (hence to issuer + subject) at the
--   first login through that issuer with an e-mail not declared unverified.
-- * core.tenant_agents: which agents a tenant knows (they held one of its grants once): the
--   only agents whose names it sees.

ALTER TABLE core.agents ADD COLUMN email_verified boolean;

ALTER TABLE core.tenants
    ADD COLUMN trusted_issuers text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(trusted_issuers) <= 20),
    ADD COLUMN trusted_idp_ids text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(trusted_idp_ids) <= 50);
-- Operators change these and the login acr on /exploitation; nothing else of a tenant row.
GRANT UPDATE (required_acr, trusted_issuers, trusted_idp_ids) ON core.tenants TO napoleon_app;

CREATE TABLE core.tenant_agents (
    tenant_id uuid NOT NULL REFERENCES core.tenants (id),
    agent_id  uuid NOT NULL REFERENCES core.agents (id),
    since     timestamptz NOT NULL DEFAULT core.clock_now(),
    PRIMARY KEY (tenant_id, agent_id)
);
ALTER TABLE core.tenant_agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.tenant_agents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.tenant_agents
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
-- The identity transaction records the tenants whose grants it claims.
CREATE POLICY joined_by_agent ON core.tenant_agents FOR INSERT
    WITH CHECK (agent_id = core.current_agent());
GRANT SELECT, INSERT ON core.tenant_agents TO napoleon_app;

-- A grant linked to an agent (claimed at login, or made to an agent the tenant knows)
-- makes the tenant know that agent.
CREATE FUNCTION core.remember_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core.tenant_agents (tenant_id, agent_id) VALUES (NEW.tenant_id, NEW.agent_id)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER remember_member AFTER INSERT OR UPDATE OF agent_id ON core.memberships
    FOR EACH ROW WHEN (NEW.agent_id IS NOT NULL) EXECUTE FUNCTION core.remember_member();

-- Existing tenants: they know the agents holding their grants (not every actor of their
-- journal: operators acted in each tenant they created, and are no member of it); they trust
-- the issuers those members came through — review on /exploitation after migrating, as an
-- impostor provider may have claimed grants before this rule. Done tenant by tenant, as the
-- policies require (the owner is subject to forced row-level security too).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        INSERT INTO core.tenant_agents (tenant_id, agent_id)
            SELECT DISTINCT m.tenant_id, m.agent_id FROM core.memberships m
             WHERE m.tenant_id = t.id AND m.agent_id IS NOT NULL
            ON CONFLICT DO NOTHING;
        UPDATE core.tenants SET trusted_issuers = coalesce(
            (SELECT array_agg(DISTINCT a.issuer) FROM core.tenant_agents ta
               JOIN core.agents a ON a.id = ta.agent_id WHERE ta.tenant_id = t.id), '{}')
         WHERE id = t.id;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;

-- The identity transaction's provider (set with the agent, its e-mail and idp).
CREATE FUNCTION core.current_agent_issuer() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('napoleon.agent_issuer', true), '') $$;
GRANT EXECUTE ON FUNCTION core.current_agent_issuer() TO napoleon_app;

-- Whether `p_tenant` trusts the identity transaction's provider (and, when it lists some,
-- the ProConnect idp behind it) with e-mail grants and admission rules.
CREATE FUNCTION core.tenant_trusts_login(p_tenant uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT EXISTS (
        SELECT 1 FROM core.tenants t
         WHERE t.id = p_tenant
           AND core.current_agent_issuer() = ANY (t.trusted_issuers)
           AND (cardinality(t.trusted_idp_ids) = 0
                OR core.current_agent_idp() = ANY (t.trusted_idp_ids)))
    $$;
GRANT EXECUTE ON FUNCTION core.tenant_trusts_login(uuid) TO napoleon_app;

DROP POLICY own_memberships ON core.memberships;
CREATE POLICY own_memberships ON core.memberships FOR SELECT
    USING (agent_id = core.current_agent()
           OR (agent_id IS NULL AND email = core.current_agent_email()
               AND core.tenant_trusts_login(tenant_id)));
DROP POLICY claim_by_email ON core.memberships;
CREATE POLICY claim_by_email ON core.memberships FOR UPDATE
    USING (agent_id IS NULL AND email = core.current_agent_email()
           AND core.tenant_trusts_login(tenant_id))
    WITH CHECK (agent_id = core.current_agent());
DROP POLICY admits_current_agent ON core.admission_rules;
CREATE POLICY admits_current_agent ON core.admission_rules FOR SELECT
    USING (core.tenant_trusts_login(tenant_id)
           AND ((kind = 'email_domain' AND value = split_part(core.current_agent_email(), '@', 2))
                OR (kind = 'idp_id' AND value = core.current_agent_idp())));

-- Agents: row-level security, so that a tenant reads only the agents it knows.
CREATE FUNCTION core.login_issuer() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('napoleon.login_issuer', true), '') $$;
CREATE FUNCTION core.login_subject() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('napoleon.login_subject', true), '') $$;
GRANT EXECUTE ON FUNCTION core.login_issuer(), core.login_subject() TO napoleon_app;
ALTER TABLE core.agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.agents FORCE ROW LEVEL SECURITY;
-- The login transaction creates or refreshes exactly the agent the provider asserted.
CREATE POLICY at_login ON core.agents
    USING (issuer = core.login_issuer() AND subject = core.login_subject())
    WITH CHECK (issuer = core.login_issuer() AND subject = core.login_subject());
-- The identity transaction sees its own agent.
CREATE POLICY oneself ON core.agents FOR SELECT
    USING (id = core.current_agent());
-- A tenant's transaction sees the agents it knows.
CREATE POLICY known_to_tenant ON core.agents FOR SELECT
    USING (EXISTS (SELECT 1 FROM core.tenant_agents ta
                    WHERE ta.tenant_id = core.current_tenant() AND ta.agent_id = agents.id));

CREATE TABLE core.operators (
    email     text PRIMARY KEY CHECK (email = lower(email) AND position('@' IN email) > 1),
    issuer    text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
    agent_id  uuid UNIQUE REFERENCES core.agents (id),
    added_at  timestamptz NOT NULL DEFAULT core.clock_now(),
    pinned_at timestamptz,
    CHECK ((agent_id IS NULL) = (pinned_at IS NULL))
);
GRANT SELECT, INSERT, DELETE ON core.operators TO napoleon_app;
-- Pinning at first login is the only change.
GRANT UPDATE (agent_id, pinned_at) ON core.operators TO napoleon_app;

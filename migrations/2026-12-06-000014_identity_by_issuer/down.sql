DROP TABLE core.operators;
DROP POLICY known_to_tenant ON core.agents;
DROP POLICY oneself ON core.agents;
DROP POLICY at_login ON core.agents;
ALTER TABLE core.agents NO FORCE ROW LEVEL SECURITY;
ALTER TABLE core.agents DISABLE ROW LEVEL SECURITY;
DROP FUNCTION core.login_issuer(), core.login_subject();
DROP POLICY admits_current_agent ON core.admission_rules;
CREATE POLICY admits_current_agent ON core.admission_rules FOR SELECT
    USING ((kind = 'email_domain' AND value = split_part(core.current_agent_email(), '@', 2))
           OR (kind = 'idp_id' AND value = core.current_agent_idp()));
DROP POLICY claim_by_email ON core.memberships;
CREATE POLICY claim_by_email ON core.memberships FOR UPDATE
    USING (agent_id IS NULL AND email = core.current_agent_email())
    WITH CHECK (agent_id = core.current_agent());
DROP POLICY own_memberships ON core.memberships;
CREATE POLICY own_memberships ON core.memberships FOR SELECT
    USING (agent_id = core.current_agent()
           OR (agent_id IS NULL AND email = core.current_agent_email()));
DROP FUNCTION core.tenant_trusts_login(uuid);
DROP FUNCTION core.current_agent_issuer();
DROP TRIGGER remember_member ON core.memberships;
DROP FUNCTION core.remember_member();
DROP TABLE core.tenant_agents;
REVOKE UPDATE (required_acr, trusted_issuers, trusted_idp_ids) ON core.tenants FROM napoleon_app;
ALTER TABLE core.tenants DROP COLUMN trusted_idp_ids, DROP COLUMN trusted_issuers;
ALTER TABLE core.agents DROP COLUMN email_verified;

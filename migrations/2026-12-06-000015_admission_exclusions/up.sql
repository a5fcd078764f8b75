-- An agent whose last grant in a tenant an administrator withdrew is not admitted again by
-- the tenant's admission rules at their next login (issue 14): the withdrawal would otherwise
-- last until that login. An explicit grant still applies; only automatic admission stops.
CREATE TABLE core.admission_exclusions (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    agent_id    uuid NOT NULL REFERENCES core.agents (id),
    excluded_at timestamptz NOT NULL DEFAULT core.clock_now(),
    excluded_by text NOT NULL,
    PRIMARY KEY (tenant_id, agent_id)
);
ALTER TABLE core.admission_exclusions ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.admission_exclusions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.admission_exclusions
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
-- The identity transaction sees its own agent's exclusions (to skip those tenants' rules).
CREATE POLICY own_exclusions ON core.admission_exclusions FOR SELECT
    USING (agent_id = core.current_agent());
GRANT SELECT, INSERT ON core.admission_exclusions TO napoleon_app;

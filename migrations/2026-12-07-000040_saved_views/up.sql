-- Issue 18, Build 4: an agent's saved searches of dossiers (« vues »), named, their own or
-- shared with one of the units where they instruct. The search is kept as its address's
-- words (parsed again, as any address, when the view is opened); it holds no personal data
-- beyond what an agent typed to find a dossier.
CREATE TABLE instruction.saved_views (
    tenant_id  uuid NOT NULL REFERENCES core.tenants (id),
    id         uuid NOT NULL,
    agent_id   uuid NOT NULL REFERENCES core.agents (id),
    -- Shared with this unit's agents who instruct there; none: the agent's own.
    unit_id    uuid,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    -- The search's words as checked, trimmed: small.
    query      jsonb NOT NULL CHECK (jsonb_typeof(query) = 'object'
                                     AND octet_length(query::text) <= 2048),
    created_at timestamptz NOT NULL DEFAULT core.clock_now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, agent_id, name),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES core.org_units (tenant_id, id)
);
CREATE INDEX saved_views_shared ON instruction.saved_views (tenant_id, unit_id)
    WHERE unit_id IS NOT NULL;
ALTER TABLE instruction.saved_views ENABLE ROW LEVEL SECURITY;
ALTER TABLE instruction.saved_views FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON instruction.saved_views
    USING (tenant_id = core.current_tenant()) WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT, DELETE ON instruction.saved_views TO napoleon_app, napoleon_instruction;

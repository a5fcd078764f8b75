-- The catalogue of each tenant: the distinctions it uses, each as the versioned TOML document
-- the rules engine reads (shared/rules/catalogue/*.toml, loaded at tenant creation), and the
-- gap practices it applies. National orders are in every tenant's catalogue; medals only in
-- the tenants that use them. Tenants may adjust what the law leaves to them.

CREATE SCHEMA catalogue;
GRANT USAGE ON SCHEMA catalogue TO napoleon_app;

CREATE TABLE catalogue.distinctions (
    tenant_id  uuid NOT NULL REFERENCES core.tenants (id),
    file       text NOT NULL CHECK (file ~ '^[a-z0-9_-]+\.toml$'),
    source     text NOT NULL,
    origin     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, file)
);
ALTER TABLE catalogue.distinctions ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalogue.distinctions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalogue.distinctions
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON catalogue.distinctions TO napoleon_app;

DROP SCHEMA authz CASCADE;
DROP TABLE core.sessions, core.admission_rules, core.memberships, core.agents;
ALTER TABLE core.tenants DROP COLUMN required_acr;
DROP FUNCTION core.current_agent(), core.current_agent_email(), core.current_agent_idp();

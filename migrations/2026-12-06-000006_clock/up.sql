-- The injected clock (`napoleon_kernel::Clock`, ARCHITECTURE.md invariant « one clock »):
-- every tenant transaction sets `napoleon.now` to the clock's time when it begins
-- (`TenantConn::begin`), and every timestamp the database writes by default reads it, so a
-- test that moves the clock moves what is stored. Without the setting (a platform connection,
-- psql), it is the database's own transaction time.
--
-- The journal keeps the database's own time (`journal.chain_event`): it is the audit record
-- of when a change reached the database, which the application must not be able to set.
CREATE FUNCTION core.clock_now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(NULLIF(current_setting('napoleon.now', true), '')::timestamptz, now()) $$;
GRANT EXECUTE ON FUNCTION core.clock_now() TO napoleon_app;

ALTER TABLE core.tenants ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE core.org_units ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE core.agents ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE core.agents ALTER COLUMN last_login_at SET DEFAULT core.clock_now();
ALTER TABLE core.memberships ALTER COLUMN granted_at SET DEFAULT core.clock_now();
ALTER TABLE catalogue.distinctions ALTER COLUMN updated_at SET DEFAULT core.clock_now();
ALTER TABLE intake.campaigns ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE intake.dossiers ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE intake.dossiers ALTER COLUMN updated_at SET DEFAULT core.clock_now();
ALTER TABLE instruction.assignments ALTER COLUMN taken_at SET DEFAULT core.clock_now();
ALTER TABLE instruction.opinions ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE instruction.messages ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE decisions.lists ALTER COLUMN closed_at SET DEFAULT core.clock_now();
ALTER TABLE registry.laureates ALTER COLUMN created_at SET DEFAULT core.clock_now();
ALTER TABLE registry.awards ALTER COLUMN created_at SET DEFAULT core.clock_now();

CREATE OR REPLACE FUNCTION intake.move_dossier(p_dossier uuid, p_from text[], p_to text, p_level uuid)
RETURNS integer LANGUAGE sql SECURITY INVOKER AS $$
    WITH moved AS (
        UPDATE intake.dossiers
           SET state = p_to,
               level_unit_id = coalesce(p_level, level_unit_id),
               updated_at = core.clock_now()
         WHERE tenant_id = core.current_tenant() AND id = p_dossier AND state = ANY (p_from)
        RETURNING 1)
    SELECT count(*)::integer FROM moved
$$;

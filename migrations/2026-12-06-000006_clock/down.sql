-- Back to the database's own time everywhere.
ALTER TABLE core.tenants ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE core.org_units ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE core.agents ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE core.agents ALTER COLUMN last_login_at SET DEFAULT now();
ALTER TABLE core.memberships ALTER COLUMN granted_at SET DEFAULT now();
ALTER TABLE catalogue.distinctions ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE intake.campaigns ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE intake.dossiers ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE intake.dossiers ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE instruction.assignments ALTER COLUMN taken_at SET DEFAULT now();
ALTER TABLE instruction.opinions ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE instruction.messages ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE decisions.lists ALTER COLUMN closed_at SET DEFAULT now();
ALTER TABLE registry.laureates ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE registry.awards ALTER COLUMN created_at SET DEFAULT now();

CREATE OR REPLACE FUNCTION intake.move_dossier(p_dossier uuid, p_from text[], p_to text, p_level uuid)
RETURNS integer LANGUAGE sql SECURITY INVOKER AS $$
    WITH moved AS (
        UPDATE intake.dossiers
           SET state = p_to,
               level_unit_id = coalesce(p_level, level_unit_id),
               updated_at = now()
         WHERE tenant_id = core.current_tenant() AND id = p_dossier AND state = ANY (p_from)
        RETURNING 1)
    SELECT count(*)::integer FROM moved
$$;

DROP FUNCTION core.clock_now();

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        DELETE FROM authz.policy_rules
         WHERE tenant_id = t.id AND ptype = 'p' AND v2 = 'instruction' AND v3 = 'export';
        IF FOUND THEN
            UPDATE authz.policy_versions SET version = version + 1 WHERE tenant_id = t.id;
        END IF;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;
REVOKE EXECUTE ON FUNCTION instruction.holds(uuid, uuid, uuid),
    instruction.last_opinion_author(uuid, uuid, uuid) FROM napoleon_worker;
REVOKE SELECT ON instruction.opinions, instruction.assignments FROM napoleon_worker;
DROP POLICY instruction_sees_its_exports_only ON jobs.jobs;
REVOKE SELECT, INSERT ON jobs.jobs FROM napoleon_instruction;

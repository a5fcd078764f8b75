DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        DELETE FROM authz.policy_rules
         WHERE tenant_id = t.id AND ptype = 'p' AND v2 = 'radar' AND v3 = 'export';
        IF FOUND THEN
            UPDATE authz.policy_versions SET version = version + 1 WHERE tenant_id = t.id;
        END IF;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;

-- The radar's export (issue 18): `radar:export`, like the registry's (migration 000035), for
-- existing tenants where the intégrateur or the chef de bureau reads the radar today; their
-- policy version moves so that every instance reloads it. Tenant by tenant, as the policies
-- require.
DO $$
DECLARE
    t record;
    added integer;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        INSERT INTO authz.policy_rules (tenant_id, id, ptype, v0, v1, v2, v3)
            SELECT r.tenant_id, gen_random_uuid(), 'p', r.v0, r.v1, 'radar', 'export'
              FROM authz.policy_rules r
             WHERE r.tenant_id = t.id AND r.ptype = 'p' AND r.v2 = 'radar' AND r.v3 = 'read'
               AND r.v0 IN ('integrateur', 'chef_de_bureau')
            ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added > 0 THEN
            INSERT INTO authz.policy_versions (tenant_id, version) VALUES (t.id, 1)
                ON CONFLICT (tenant_id) DO UPDATE SET version = authz.policy_versions.version + 1;
        END IF;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;

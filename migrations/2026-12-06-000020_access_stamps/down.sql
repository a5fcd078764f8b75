DROP FUNCTION authz.access_state(uuid, bigint);
DROP TRIGGER access_stamp ON catalogue.distinctions;
DROP TRIGGER access_stamp ON authz.policy_versions;
DROP TRIGGER access_stamp ON authz.policy_rules;
DROP TRIGGER access_stamp ON core.memberships;
DROP TRIGGER access_stamp ON core.org_units;
DROP TRIGGER access_stamp ON core.tenants;
DROP FUNCTION core.stamp_tenant();
DROP FUNCTION core.stamp_tenant_row();
CREATE OR REPLACE FUNCTION core.request_context(p_tenant uuid, p_agent uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_build_object(
        'grants', (SELECT coalesce(json_agg(json_build_array(m.unit_id, m.role)
                                            ORDER BY m.granted_at, m.id), '[]'::json)
                     FROM core.memberships m
                    WHERE m.tenant_id = p_tenant AND m.agent_id = p_agent),
        'units', (SELECT coalesce(json_agg(json_build_array(u.id, u.parent_id, u.kind, u.code,
                                                            u.name)
                                           ORDER BY u.kind, u.code), '[]'::json)
                    FROM core.org_units u WHERE u.tenant_id = p_tenant),
        'tenant', (SELECT json_build_object('id', t.id, 'slug', t.slug, 'name', t.name,
                                            'is_sandbox', t.is_sandbox,
                                            'required_acr', t.required_acr,
                                            'trusted_issuers', t.trusted_issuers,
                                            'trusted_idp_ids', t.trusted_idp_ids)
                     FROM core.tenants t WHERE t.id = p_tenant));
END
$$;
ALTER TABLE core.tenants DROP COLUMN access_stamp;

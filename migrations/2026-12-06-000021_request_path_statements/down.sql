ALTER TABLE readlog.reads ADD CONSTRAINT reads_tenant_id_fkey
    FOREIGN KEY (tenant_id) REFERENCES core.tenants(id);
CREATE OR REPLACE FUNCTION authz.access_state(p_tenant uuid, p_known bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    current bigint;
BEGIN
    SELECT t.access_stamp INTO current FROM core.tenants t WHERE t.id = p_tenant;
    RETURN json_build_object(
        'stamp', current,
        'version', coalesce((SELECT v.version FROM authz.policy_versions v
                              WHERE v.tenant_id = p_tenant), 0),
        'units', CASE WHEN current IS DISTINCT FROM p_known THEN
                     (SELECT coalesce(json_agg(json_build_array(u.id, u.parent_id, u.kind,
                                                                u.code, u.name)
                                               ORDER BY u.kind, u.code), '[]'::json)
                        FROM core.org_units u WHERE u.tenant_id = p_tenant)
                 END);
END
$$;
DROP FUNCTION journal.agent_actor(uuid);
DROP FUNCTION core.session_tenant(jsonb);

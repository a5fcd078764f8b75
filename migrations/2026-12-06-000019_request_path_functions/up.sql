-- The request path's statements, as functions (issue 15): what every request reads before
-- its use case and the read log it writes, in one statement each, with plans PL/pgSQL keeps per connection. Diesel does not
-- cache the plan of a raw SQL statement; a call to a function is a statement it prepares
-- once per connection.
--
-- Both run with the caller's rights (SECURITY INVOKER): row-level security applies to each
-- subquery as to the caller's own queries, and each filters on the tenant explicitly too.

-- The gateway, at every request of an agent working in a tenant: their grants there (in the
-- order of grant), the tenant's units (by kind, then code), and the tenant's row.
CREATE FUNCTION core.request_context(p_tenant uuid, p_agent uuid) RETURNS json
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

-- Every use case, before deciding anything: the tenant's units and its policy version.
CREATE FUNCTION authz.units_and_version(p_tenant uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_build_object(
        'units', (SELECT coalesce(json_agg(json_build_array(u.id, u.parent_id, u.kind, u.code,
                                                            u.name)
                                           ORDER BY u.kind, u.code), '[]'::json)
                    FROM core.org_units u WHERE u.tenant_id = p_tenant),
        'version', coalesce((SELECT v.version FROM authz.policy_versions v
                              WHERE v.tenant_id = p_tenant), 0));
END
$$;

-- Every read of personal data: its read-log entries, committed without waiting for the WAL
-- flush (ARCHITECTURE.md, « Decisions »; local to the read's transaction). Returns how many
-- entries were written.
CREATE FUNCTION readlog.record(p_tenant uuid, p_reader text, p_kinds text[], p_ids uuid[],
                               p_channel text, p_request_id text, p_via text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    written integer;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO readlog.reads (tenant_id, reader, subject_kind, subject_id, channel,
                               request_id, via)
    SELECT p_tenant, p_reader, s.kind, s.id, p_channel, p_request_id, p_via
      FROM unnest(p_kinds, p_ids) AS s(kind, id);
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;

REVOKE ALL ON FUNCTION readlog.record(uuid, text, text[], uuid[], text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readlog.record(uuid, text, text[], uuid[], text, text, text)
    TO napoleon_service, napoleon_app;
REVOKE ALL ON FUNCTION core.request_context(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION authz.units_and_version(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.request_context(uuid, uuid) TO napoleon_gateway, napoleon_app;
GRANT EXECUTE ON FUNCTION authz.units_and_version(uuid) TO napoleon_service, napoleon_app;

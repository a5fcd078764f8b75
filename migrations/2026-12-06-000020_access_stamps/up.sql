-- The tenant's access stamp (issue 15): one number that changes whenever anything an
-- instance caches to decide a request's access changes — the tenant's own row (its acr
-- requirement, trusted issuers, name), its units, its memberships (a grant, a withdrawal, an
-- admission), its policy and its catalogue. Every request reads it (one primary-key read);
-- an instance reuses what it cached under the same stamp and reads afresh under a new one,
-- so a change made through any instance applies everywhere at the next request.
--
-- It lives in core.tenants (a platform table: no row-level security, readable by every
-- service), is written only by the triggers below (SECURITY DEFINER, owner's rights), and is
-- a counter: it tells nothing about the tenant.
ALTER TABLE core.tenants ADD COLUMN access_stamp bigint NOT NULL DEFAULT 1;

-- Any change of a tenant's row moves its stamp (unless the change is the stamp's own move).
CREATE FUNCTION core.stamp_tenant_row() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.access_stamp = OLD.access_stamp THEN
        NEW.access_stamp := OLD.access_stamp + 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER access_stamp BEFORE UPDATE ON core.tenants
    FOR EACH ROW EXECUTE FUNCTION core.stamp_tenant_row();

-- A change of a row that belongs to a tenant moves that tenant's stamp, in the change's own
-- transaction: whoever reads the new stamp sees the change.
CREATE FUNCTION core.stamp_tenant() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changed uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD.tenant_id;
    ELSE
        changed := NEW.tenant_id;
    END IF;
    UPDATE core.tenants SET access_stamp = access_stamp + 1 WHERE id = changed;
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
        UPDATE core.tenants SET access_stamp = access_stamp + 1 WHERE id = OLD.tenant_id;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION core.stamp_tenant() FROM PUBLIC;
REVOKE ALL ON FUNCTION core.stamp_tenant_row() FROM PUBLIC;

CREATE TRIGGER access_stamp AFTER INSERT OR UPDATE OR DELETE ON core.org_units
    FOR EACH ROW EXECUTE FUNCTION core.stamp_tenant();
CREATE TRIGGER access_stamp AFTER INSERT OR UPDATE OR DELETE ON core.memberships
    FOR EACH ROW EXECUTE FUNCTION core.stamp_tenant();
CREATE TRIGGER access_stamp AFTER INSERT OR UPDATE OR DELETE ON authz.policy_rules
    FOR EACH ROW EXECUTE FUNCTION core.stamp_tenant();
CREATE TRIGGER access_stamp AFTER INSERT OR UPDATE OR DELETE ON authz.policy_versions
    FOR EACH ROW EXECUTE FUNCTION core.stamp_tenant();
CREATE TRIGGER access_stamp AFTER INSERT OR UPDATE OR DELETE ON catalogue.distinctions
    FOR EACH ROW EXECUTE FUNCTION core.stamp_tenant();

-- The gateway's context on a cache miss now says under which stamp it was read (in the same
-- statement, so the same snapshot: what is cached under a stamp is never older than it).
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
                     FROM core.tenants t WHERE t.id = p_tenant),
        'stamp', (SELECT t.access_stamp FROM core.tenants t WHERE t.id = p_tenant));
END
$$;

-- Every use case, before deciding anything: the tenant's stamp and policy version, and its
-- units only when the stamp differs from `p_known` (the one the instance cached them under).
CREATE FUNCTION authz.access_state(p_tenant uuid, p_known bigint) RETURNS json
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
REVOKE ALL ON FUNCTION authz.access_state(uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.access_state(uuid, bigint) TO napoleon_service, napoleon_app;

-- access_state replaces units_and_version, which stays for one release: service processes
-- of the previous release still call it during a rolling update (split mode).

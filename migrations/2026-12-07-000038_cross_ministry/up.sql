-- Issue 18, Build 7: the same person proposed by two ministries for the same promotion. Each
-- tenant that opts in (core.tenants.cross_ministry) leaves, for each dossier it submits, one
-- row of (keyed hash of the person, distinction, promotion date, tenant) in a platform table
-- no role reads: only two functions with the owner's rights touch it, and they answer a
-- boolean. The hash key is generated here, in the database, and never leaves it (pgcrypto's
-- HMAC-SHA256 over core.name_key and the ISO birth date, migration 000037). Reasoning, and
-- the membership oracle that remains: docs/cross-ministry.md.

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA ext;

ALTER TABLE core.tenants ADD COLUMN cross_ministry boolean NOT NULL DEFAULT false;
-- Opting in is the command line's (napoleon tenants cross-ministry), as the tools' role.
GRANT UPDATE (cross_ministry) ON core.tenants TO napoleon_app;

-- The platform's own: no grant to any role (the functions below run as the owner; the
-- tables have no tenant_id: each row names its ministry in `holder`, read across tenants).
CREATE SCHEMA crossmatch;

CREATE TABLE crossmatch.hash_key (
    id  integer PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL CHECK (octet_length(key) = 32)
);

CREATE TABLE crossmatch.proposals (
    holder         uuid NOT NULL REFERENCES core.tenants (id),
    dossier_id     uuid NOT NULL,
    person         bytea NOT NULL,
    distinction    text NOT NULL,
    promotion_date date NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (holder, dossier_id)
);
CREATE INDEX proposals_by_person ON crossmatch.proposals (person, distinction, promotion_date);

-- Every lookup, answered or refused: the platform's record of who asked about which of their
-- own dossiers, and the rate limit's count.
CREATE TABLE crossmatch.lookups (
    holder     uuid NOT NULL REFERENCES core.tenants (id),
    dossier_id uuid NOT NULL,
    asked_at   timestamptz NOT NULL DEFAULT now(),
    answer     text NOT NULL CHECK (answer IN ('yes', 'no', 'refused'))
);
CREATE INDEX lookups_by_holder ON crossmatch.lookups (holder, asked_at);

REVOKE ALL ON SCHEMA crossmatch FROM PUBLIC;

DO $$
DECLARE
    crypto text;
BEGIN
    SELECT n.nspname INTO crypto
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pgcrypto';
    EXECUTE format('INSERT INTO crossmatch.hash_key (id, key) VALUES (1, %I.gen_random_bytes(32))',
                   crypto);

    -- The dossier's person, hashed, with its campaign's distinction and promotion date; no
    -- row unless the tenant opted in (a sandbox never takes part: a training tenant is no
    -- other ministry), the dossier is submitted (not a draft) and names a person with a
    -- birth date. The dossier is read as the caller's tenant sees it (forced
    -- row-level security binds the owner too): another tenant's dossier is not found.
    EXECUTE format($f$
        CREATE FUNCTION crossmatch.person_of(p_dossier uuid)
        RETURNS TABLE (person bytea, distinction text, promotion_date date)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $body$
            SELECT %I.hmac(convert_to(d.name_key || '|' || d.born, 'UTF8'), k.key, 'sha256'),
                   c.distinction, c.promotion_date
            FROM intake.dossiers d
            JOIN intake.campaigns c ON c.tenant_id = d.tenant_id AND c.id = d.campaign_id
            JOIN core.tenants t ON t.id = d.tenant_id AND t.cross_ministry AND NOT t.is_sandbox
            CROSS JOIN crossmatch.hash_key k
            WHERE d.tenant_id = core.current_tenant() AND d.id = p_dossier
              AND d.state <> 'brouillon' AND d.name_key IS NOT NULL AND d.born IS NOT NULL
        $body$
    $f$, crypto);
END
$$;
REVOKE ALL ON FUNCTION crossmatch.person_of(uuid) FROM PUBLIC;

-- Records the submitted dossier's person for its promotion (again after a complement: the
-- identity may have been corrected). Nothing when the tenant has not opted in.
-- How many rows it wrote (0 or 1): a value, so that callers keep the statement prepared.
CREATE FUNCTION crossmatch.record(p_dossier uuid) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH written AS (
        INSERT INTO crossmatch.proposals (holder, dossier_id, person, distinction,
                                          promotion_date)
        SELECT core.current_tenant(), p_dossier, p.person, p.distinction, p.promotion_date
        FROM crossmatch.person_of(p_dossier) p
        ON CONFLICT (holder, dossier_id) DO UPDATE
            SET person = excluded.person, distinction = excluded.distinction,
                promotion_date = excluded.promotion_date, recorded_at = now()
        RETURNING 1
    )
    SELECT count(*)::integer FROM written;
$$;

-- Every submitted dossier of the tenant, recorded when it opts in: a ministry that asks is
-- one that can be asked about, its earlier proposals included.
CREATE FUNCTION crossmatch.record_all() RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT crossmatch.record(d.id) FROM intake.dossiers d
    WHERE d.tenant_id = core.current_tenant() AND d.state <> 'brouillon';
$$;

-- The tenant's rows, removed when it opts out: nobody is told of its proposals any more.
CREATE FUNCTION crossmatch.forget() RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM crossmatch.proposals WHERE holder = core.current_tenant();
$$;

-- Whether another opted-in ministry proposed the same person for the same promotion: true or
-- false; NULL when not asked (not opted in, a draft, no birth date) or refused (more than
-- 600 lookups by the tenant in the last hour). Each lookup asked is recorded.
CREATE FUNCTION crossmatch.elsewhere(p_dossier uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mine record;
    matched boolean;
BEGIN
    -- The person as the dossier was last submitted (its recorded row), not as it may be
    -- edited since (a dossier under complement): an identity is asked about only once
    -- submitted under the dossier's number. The dossier must still be the tenant's, opted
    -- in and not a draft (person_of).
    SELECT p.person, p.distinction, p.promotion_date INTO mine
    FROM crossmatch.proposals p
    WHERE p.holder = core.current_tenant() AND p.dossier_id = p_dossier
      AND EXISTS (SELECT 1 FROM crossmatch.person_of(p_dossier));
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- Answered lookups only count: a tenant refused for an hour is not refused for ever.
    IF (SELECT count(*) FROM crossmatch.lookups
        WHERE holder = core.current_tenant() AND answer <> 'refused'
          AND asked_at > now() - interval '1 hour') >= 600 THEN
        INSERT INTO crossmatch.lookups (holder, dossier_id, answer)
            VALUES (core.current_tenant(), p_dossier, 'refused');
        RETURN NULL;
    END IF;
    matched := EXISTS (
        SELECT 1 FROM crossmatch.proposals o
        JOIN core.tenants t ON t.id = o.holder AND t.cross_ministry AND NOT t.is_sandbox
        WHERE o.person = mine.person AND o.distinction = mine.distinction
          AND o.promotion_date = mine.promotion_date AND o.holder <> core.current_tenant());
    INSERT INTO crossmatch.lookups (holder, dossier_id, answer)
        VALUES (core.current_tenant(), p_dossier, CASE WHEN matched THEN 'yes' ELSE 'no' END);
    RETURN matched;
END
$$;
REVOKE ALL ON FUNCTION crossmatch.record(uuid), crossmatch.record_all(),
    crossmatch.forget(), crossmatch.elsewhere(uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA crossmatch TO napoleon_app, napoleon_intake, napoleon_instruction;
-- (napoleon_app, the tools' role, holds every service's grants: `serve all` in one role.)
GRANT EXECUTE ON FUNCTION crossmatch.record(uuid) TO napoleon_app, napoleon_intake;
GRANT EXECUTE ON FUNCTION crossmatch.elsewhere(uuid)
    TO napoleon_app, napoleon_intake, napoleon_instruction;
-- Opting in or out is the tools' (the command line, the demo).
GRANT EXECUTE ON FUNCTION crossmatch.record_all(), crossmatch.forget() TO napoleon_app;

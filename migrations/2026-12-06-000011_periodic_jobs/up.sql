-- Periodic jobs (retention purges, reminders): every worker asks, now and then, for the jobs
-- of the current period (a Paris day, `2026-12-06`) to exist in every tenant; a unique index
-- makes that idempotent, so any number of workers asking yields one job per tenant and period.

ALTER TABLE jobs.jobs ADD COLUMN period text
    CHECK (period ~ '^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$');
CREATE UNIQUE INDEX jobs_once_per_period ON jobs.jobs (tenant_id, kind, period)
    WHERE period IS NOT NULL;

-- The application role cannot insert across tenants: this function (owner's rights) adds the
-- period's job of `p_kind` to every tenant that lacks it, and says how many it added.
CREATE FUNCTION jobs.enqueue_periodic(p_kind text, p_period text, p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, core, pg_temp AS $$
DECLARE
    added bigint;
BEGIN
    INSERT INTO jobs.jobs (tenant_id, id, kind, period, created_by, run_after, created_at)
    SELECT t.id, gen_random_uuid(), p_kind, p_period, 'system:schedule', p_now, p_now
      FROM core.tenants t
    ON CONFLICT (tenant_id, kind, period) WHERE period IS NOT NULL DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
REVOKE ALL ON FUNCTION jobs.enqueue_periodic(text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs.enqueue_periodic(text, text, timestamptz) TO napoleon_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_schedules ON jobs.jobs FOR INSERT TO %I '
                   'WITH CHECK (period IS NOT NULL AND created_by = ''system:schedule'')',
                   current_user);
END $$;

-- Periodic jobs (retention purges, reminders): every worker asks, now and then, for the jobs
-- of the current period (a Paris day, `2026-12-06`) to exist in every tenant; a unique index
-- makes that idempotent, so any number of workers asking yields one job per tenant and period.

ALTER TABLE jobs.jobs ADD COLUMN period text
    CHECK (period ~ '^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$');
CREATE UNIQUE INDEX jobs_once_per_period ON jobs.jobs (tenant_id, kind, period)
    WHERE period IS NOT NULL;

-- The application role cannot insert across tenants: this function (owner's rights) adds the
-- period's job of `p_kind` to every tenant that lacks it, and says how many it added. Only
-- the kinds meant to be periodic, only for the Paris day of `p_now`, and `p_now` within two
-- days of the database's time (tests move their clock a day): the application cannot fill
-- every tenant with a kind no worker runs, nor take a later day's place with a job due in
-- years.
CREATE FUNCTION jobs.enqueue_periodic(p_kind text, p_period text, p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, core, pg_temp AS $$
DECLARE
    added bigint;
BEGIN
    -- The read log's retention, and finished jobs' (the latter's function comes with 000013).
    IF p_kind NOT IN ('readlog.purge', 'jobs.purge') THEN
        RAISE EXCEPTION 'jobs.enqueue_periodic: % is not a periodic kind', p_kind;
    END IF;
    IF p_now NOT BETWEEN now() - interval '2 days' AND now() + interval '2 days'
       OR p_period IS DISTINCT FROM to_char(p_now AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD') THEN
        RAISE EXCEPTION 'jobs.enqueue_periodic: the period is today''s, in Paris';
    END IF;
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

-- A tenant's latest job of a kind (the read log's page, `napoleon_db::jobs::latest`).
CREATE INDEX jobs_by_kind ON jobs.jobs (tenant_id, kind, run_after);

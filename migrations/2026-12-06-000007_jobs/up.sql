-- Background jobs (imports, exports, recomputes, deliveries…): one table, tenant-first and
-- isolated like every tenant table. A job is enqueued inside the transaction of the change
-- that calls for it (so it exists exactly when that change commits), then leased by a worker.
--
-- States: queued → running → succeeded | failed | cancelled; a failed attempt goes back to
-- queued with a later `run_after` (backoff) until `max_attempts`. A lease has an end: a worker
-- that dies (kill -9) stops renewing it, and another worker takes the job again once it passed.

CREATE SCHEMA jobs;
GRANT USAGE ON SCHEMA jobs TO napoleon_app;

CREATE TABLE jobs.jobs (
    tenant_id        uuid NOT NULL REFERENCES core.tenants (id),
    id               uuid NOT NULL,
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' AND length(kind) <= 64),
    payload          jsonb NOT NULL DEFAULT '{}'::jsonb
                     CHECK (jsonb_typeof(payload) = 'object' AND octet_length(payload::text) <= 65536),
    state            text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 50),
    run_after        timestamptz NOT NULL DEFAULT core.clock_now(),
    lease_owner      text CHECK (length(lease_owner) BETWEEN 1 AND 200),
    lease_until      timestamptz,
    progress_done    bigint NOT NULL DEFAULT 0 CHECK (progress_done >= 0),
    progress_total   bigint CHECK (progress_total >= 0),
    progress_message text CHECK (length(progress_message) <= 500),
    cancel_requested boolean NOT NULL DEFAULT false,
    result           jsonb CHECK (octet_length(result::text) <= 65536),
    last_error       text CHECK (length(last_error) <= 2000),
    created_by       text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
    created_at       timestamptz NOT NULL DEFAULT core.clock_now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
);
CREATE INDEX jobs_due ON jobs.jobs (tenant_id, run_after) WHERE state IN ('queued', 'running');
ALTER TABLE jobs.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs.jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs.jobs
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT ON jobs.jobs TO napoleon_app;
-- What a worker or a page changes; a job's kind, payload and owner stay as enqueued.
GRANT UPDATE (state, attempts, run_after, lease_owner, lease_until, progress_done,
              progress_total, progress_message, cancel_requested, result, last_error,
              finished_at) ON jobs.jobs TO napoleon_app;

-- Workers lease across tenants, which the application role cannot see: `jobs.lease` runs with
-- the owner's rights, and the owner reads and leases every tenant's jobs through these two
-- policies only (no insert nor delete across tenants).
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_reads ON jobs.jobs FOR SELECT TO %I USING (true)',
                   current_user);
    EXECUTE format('CREATE POLICY owner_leases ON jobs.jobs FOR UPDATE TO %I USING (true) '
                   'WITH CHECK (true)', current_user);
END $$;

-- Leases the next due job of `p_kinds` for `p_seconds`: a queued one whose time has come, or a
-- running one whose lease has passed (its worker died). Rows another worker is leasing right
-- now are skipped (SKIP LOCKED): two workers never take the same job. A running job whose last
-- attempt's lease has passed is failed first, and one whose cancellation was asked and whose
-- worker died is cancelled. `p_now` is the caller's clock; a lease lasts 1 s to 1 h.
CREATE FUNCTION jobs.lease(p_worker text, p_kinds text[], p_now timestamptz, p_seconds integer)
RETURNS TABLE (tenant_id uuid, id uuid, kind text, payload jsonb, attempts integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, jobs, pg_temp AS $$
BEGIN
    IF p_seconds NOT BETWEEN 1 AND 3600 OR coalesce(length(p_worker), 0) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'jobs.lease: a lease lasts 1 to 3600 s and names its worker';
    END IF;
    UPDATE jobs.jobs j
       SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, finished_at = p_now
     WHERE j.state = 'running' AND j.lease_until < p_now AND j.cancel_requested
       AND j.kind = ANY (p_kinds);
    UPDATE jobs.jobs j
       SET state = 'failed', lease_owner = NULL, lease_until = NULL, finished_at = p_now,
           last_error = 'Le traitement s''est interrompu à sa dernière tentative.'
     WHERE j.state = 'running' AND j.lease_until < p_now AND j.attempts >= j.max_attempts
       AND j.kind = ANY (p_kinds);
    RETURN QUERY
    WITH next AS (
        SELECT n.tenant_id, n.id FROM jobs.jobs n
         WHERE n.kind = ANY (p_kinds) AND n.run_after <= p_now
           AND (n.state = 'queued' OR (n.state = 'running' AND n.lease_until < p_now))
         ORDER BY n.run_after, n.created_at
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
    UPDATE jobs.jobs j
       SET state = 'running', attempts = j.attempts + 1, lease_owner = p_worker,
           lease_until = p_now + make_interval(secs => p_seconds),
           started_at = coalesce(j.started_at, p_now)
      FROM next
     WHERE j.tenant_id = next.tenant_id AND j.id = next.id
    RETURNING j.tenant_id, j.id, j.kind, j.payload, j.attempts;
END
$$;
REVOKE ALL ON FUNCTION jobs.lease(text, text[], timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs.lease(text, text[], timestamptz, integer) TO napoleon_app;

-- How many jobs hold a lease that has not passed, across tenants (the test harness checks
-- none is left running when a test ends; operators see it on the health page later).
CREATE FUNCTION jobs.running(p_now timestamptz) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, jobs, pg_temp AS $$
    SELECT count(*) FROM jobs.jobs WHERE state = 'running' AND lease_until >= p_now
$$;
REVOKE ALL ON FUNCTION jobs.running(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs.running(timestamptz) TO napoleon_app;

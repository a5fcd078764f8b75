-- One database role per service (issue 14). Each process connects as its service's role:
-- napoleon_gateway, napoleon_intake, napoleon_instruction, napoleon_decisions,
-- napoleon_promotion, napoleon_worker (jobs and the outbox). Each is a member of
-- napoleon_service, which holds what every service shares: reading the platform data
-- (tenants, units, agents a tenant knows, policy, catalogue), the documented contract views,
-- appending to the journal and the read log, enqueueing jobs and outbox messages. Each role
-- adds the writes of its own schema; a service writes another's data only through a
-- contract function (intake.move_dossier, owner's rights). The roles are created outside
-- migrations, like napoleon_app (docs/operations.md; `napoleon_db::roles::provision_roles`).
-- napoleon_app keeps its grants: it is the tools' role (demo seed, command line), which no
-- service process uses any more.

-- Shared by every service.
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO napoleon_service', current_database());
END
$$;
GRANT USAGE ON SCHEMA core, journal, authz, catalogue, intake, instruction, decisions, registry,
    jobs, readlog, outbox TO napoleon_service;
GRANT SELECT ON public.__diesel_schema_migrations TO napoleon_service;
GRANT EXECUTE ON FUNCTION core.current_tenant(), core.current_agent(), core.current_agent_email(),
    core.current_agent_idp(), core.current_agent_issuer(), core.tenant_trusts_login(uuid),
    core.login_issuer(), core.login_subject(), core.clock_now() TO napoleon_service;
GRANT SELECT ON core.tenants, core.org_units, core.agents, core.tenant_agents TO napoleon_service;
GRANT SELECT, INSERT ON journal.events TO napoleon_service;
GRANT SELECT ON authz.policy_rules, authz.policy_versions TO napoleon_service;
GRANT SELECT ON catalogue.distinctions TO napoleon_service;
-- The contract views read their tables with the owner's rights (a service reads another's
-- data through them only, without SELECT on its tables); the tenant policy still applies,
-- the owner being subject to forced row-level security.
ALTER VIEW intake.campaigns_v1 SET (security_invoker = false);
ALTER VIEW intake.dossiers_v1 SET (security_invoker = false);
ALTER VIEW registry.awards_v1 SET (security_invoker = false);
ALTER VIEW decisions.lists_v1 SET (security_invoker = false);
GRANT SELECT ON intake.campaigns_v1, intake.dossiers_v1, registry.awards_v1, decisions.lists_v1
    TO napoleon_service;
GRANT INSERT (tenant_id, reader, subject_kind, subject_id, channel, request_id, via)
    ON readlog.reads TO napoleon_service;
-- Enqueueing jobs is the gateway's (its pages start them) and the worker's (daily kinds,
-- through jobs.enqueue_periodic); outbox messages are no service's yet: each will be granted
-- INSERT when it emits (a service that could queue messages could make the worker send
-- data where its own network policy forbids).
GRANT EXECUTE ON FUNCTION jobs.running(timestamptz) TO napoleon_gateway, napoleon_worker;

-- A dossier changes state through this function only (instruction, decisions): it runs with
-- the owner's rights, so they need no UPDATE on intake's table; the tenant policy still
-- applies (the owner is subject to forced row-level security).
ALTER FUNCTION intake.move_dossier(uuid, text[], text, uuid) SECURITY DEFINER;
ALTER FUNCTION intake.move_dossier(uuid, text[], text, uuid)
    SET search_path = pg_catalog, intake, core, pg_temp;
REVOKE ALL ON FUNCTION intake.move_dossier(uuid, text[], text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake.move_dossier(uuid, text[], text, uuid)
    TO napoleon_app, napoleon_instruction, napoleon_decisions;

-- The gateway: identity, sessions, members, admission, tenants and units, policy,
-- catalogue, operators; the read log's page and its purge; the job page (and cancelling).
GRANT INSERT ON core.tenants TO napoleon_gateway;
GRANT UPDATE (required_acr, trusted_issuers, trusted_idp_ids) ON core.tenants TO napoleon_gateway;
GRANT INSERT, UPDATE ON core.org_units TO napoleon_gateway;
GRANT INSERT, UPDATE ON core.agents TO napoleon_gateway;
GRANT SELECT, INSERT, DELETE ON core.memberships TO napoleon_gateway;
GRANT UPDATE (agent_id) ON core.memberships TO napoleon_gateway;
GRANT INSERT ON core.tenant_agents TO napoleon_gateway;
GRANT SELECT, INSERT, DELETE ON core.admission_rules TO napoleon_gateway;
GRANT SELECT, INSERT ON core.admission_exclusions TO napoleon_gateway;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.sessions TO napoleon_gateway;
GRANT SELECT, INSERT, DELETE ON core.operators TO napoleon_gateway;
GRANT UPDATE (agent_id, pinned_at) ON core.operators TO napoleon_gateway;
GRANT INSERT, DELETE ON authz.policy_rules TO napoleon_gateway;
GRANT INSERT, UPDATE ON authz.policy_versions TO napoleon_gateway;
GRANT INSERT, UPDATE, DELETE ON catalogue.distinctions TO napoleon_gateway;
GRANT SELECT ON readlog.reads TO napoleon_gateway;
GRANT EXECUTE ON FUNCTION readlog.purge(timestamptz, integer) TO napoleon_gateway;
-- Cancelling from the job page: a queued job ends at once, a running one is asked to stop.
GRANT SELECT, INSERT ON jobs.jobs TO napoleon_gateway;
GRANT UPDATE (state, cancel_requested, finished_at) ON jobs.jobs TO napoleon_gateway;
GRANT SELECT ON outbox.messages TO napoleon_gateway;

-- Intake: campaigns, dossiers, their numbers and idempotency keys.
GRANT SELECT, INSERT, UPDATE ON intake.campaigns, intake.number_counters, intake.dossiers
    TO napoleon_intake;
GRANT SELECT, INSERT ON intake.idempotency_keys TO napoleon_intake;

-- Instruction: assignments, opinions, messages.
GRANT SELECT, INSERT, UPDATE, DELETE ON instruction.assignments TO napoleon_instruction;
GRANT SELECT, INSERT ON instruction.opinions, instruction.messages TO napoleon_instruction;

-- Decisions: rankings and lists, and the registry it publishes into.
GRANT SELECT, INSERT, UPDATE ON decisions.rankings, decisions.lists TO napoleon_decisions;
GRANT SELECT, INSERT, UPDATE ON registry.laureates, registry.awards TO napoleon_decisions;

-- Promotion reads the registry through its contract view: nothing of its own to write.

-- The worker: leasing and finishing jobs, delivering the outbox, the retention purges
-- (functions with the owner's rights), expired sessions, the read-log export it builds.
GRANT EXECUTE ON FUNCTION jobs.lease(text, text[], timestamptz, integer),
    jobs.enqueue_periodic(text, text, timestamptz), jobs.purge_finished(timestamptz, integer),
    readlog.purge(timestamptz, integer) TO napoleon_worker;
GRANT SELECT, INSERT ON jobs.jobs TO napoleon_worker;
GRANT UPDATE (state, attempts, run_after, lease_owner, lease_until, progress_done,
              progress_total, progress_message, cancel_requested, result, last_error,
              finished_at) ON jobs.jobs TO napoleon_worker;
GRANT SELECT ON outbox.messages TO napoleon_worker;
GRANT UPDATE (attempts, last_status, last_error, delivered_at) ON outbox.messages
    TO napoleon_worker;
GRANT SELECT ON readlog.reads TO napoleon_worker;

-- Expired sessions are purged through this function: the worker never reads a session's
-- id or data (the gateway's alone).
CREATE FUNCTION core.purge_expired_sessions(p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, core, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM core.sessions WHERE expires_at <= p_now;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
REVOKE ALL ON FUNCTION core.purge_expired_sessions(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.purge_expired_sessions(timestamptz)
    TO napoleon_app, napoleon_worker;

-- The journal's chaining trigger runs with the owner's rights: temporary objects come last
-- in its search path, never before the journal's own.
ALTER FUNCTION journal.chain_event() SET search_path = pg_catalog, journal, core, pg_temp;

DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM napoleon_service', current_database());
END
$$;
REVOKE ALL ON ALL TABLES IN SCHEMA core, journal, authz, catalogue, intake, instruction,
    decisions, registry, jobs, readlog, outbox FROM napoleon_service, napoleon_gateway,
    napoleon_intake, napoleon_instruction, napoleon_decisions, napoleon_promotion,
    napoleon_worker;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA core, journal, intake, jobs, readlog FROM
    napoleon_service, napoleon_gateway, napoleon_intake, napoleon_instruction,
    napoleon_decisions, napoleon_promotion, napoleon_worker;
REVOKE ALL ON SCHEMA core, journal, authz, catalogue, intake, instruction, decisions, registry,
    jobs, readlog, outbox FROM napoleon_service;
REVOKE SELECT ON public.__diesel_schema_migrations FROM napoleon_service;
ALTER FUNCTION intake.move_dossier(uuid, text[], text, uuid) SECURITY INVOKER;
ALTER FUNCTION intake.move_dossier(uuid, text[], text, uuid) RESET search_path;
GRANT EXECUTE ON FUNCTION intake.move_dossier(uuid, text[], text, uuid) TO PUBLIC;
ALTER VIEW intake.campaigns_v1 SET (security_invoker = true);
ALTER VIEW intake.dossiers_v1 SET (security_invoker = true);
ALTER VIEW registry.awards_v1 SET (security_invoker = true);
ALTER VIEW decisions.lists_v1 SET (security_invoker = true);
DROP FUNCTION core.purge_expired_sessions(timestamptz);
ALTER FUNCTION journal.chain_event() SET search_path = pg_catalog, journal, core;

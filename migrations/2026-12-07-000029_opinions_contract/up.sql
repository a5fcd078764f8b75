-- The opinions given on a dossier, as instruction documents them for the other services
-- (issue 17: the mémoire de proposition lists them with their authors). Read with the
-- owner's rights like every contract view (migration 000017); the tenant policy still
-- applies, the owner being subject to forced row-level security. The author's name is the
-- agent's as the tenant knows it (empty when it does not).
CREATE VIEW instruction.opinions_v1 WITH (security_invoker = false) AS
    SELECT o.tenant_id, o.id, o.dossier_id, o.level_unit_id, u.name AS unit_name,
           coalesce(a.given_name || ' ' || a.usual_name, '') AS author,
           o.verdict, o.motivation, o.created_at
    FROM instruction.opinions o
    JOIN core.org_units u ON u.tenant_id = o.tenant_id AND u.id = o.level_unit_id
    LEFT JOIN core.agents a ON a.id = o.agent_id;
GRANT SELECT ON instruction.opinions_v1 TO napoleon_service, napoleon_app;

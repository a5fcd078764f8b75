-- Review of issue 17's contract views: besides the tenant policy (which applies inside them,
-- their owner being subject to forced row-level security), each filters its tenant itself,
-- so that isolation does not rest on who owns them.
CREATE OR REPLACE VIEW instruction.opinions_v1 WITH (security_invoker = false) AS
    SELECT o.tenant_id, o.id, o.dossier_id, o.level_unit_id, u.name AS unit_name,
           coalesce(a.given_name || ' ' || a.usual_name, '') AS author,
           o.verdict, o.motivation, o.created_at
    FROM instruction.opinions o
    JOIN core.org_units u ON u.tenant_id = o.tenant_id AND u.id = o.level_unit_id
    LEFT JOIN core.agents a ON a.id = o.agent_id
    WHERE o.tenant_id = core.current_tenant();
CREATE OR REPLACE VIEW intake.pieces_v1 WITH (security_invoker = false) AS
    SELECT a.tenant_id, a.id, a.dossier_id, a.piece_code, a.name, a.sniffed_type,
           a.size_bytes, a.scan_state, a.withdrawn_at IS NULL AS current, a.uploaded_at
    FROM intake.attachments a
    WHERE a.tenant_id = core.current_tenant();

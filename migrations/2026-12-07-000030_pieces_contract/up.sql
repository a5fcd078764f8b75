-- A dossier's pieces as intake documents them for the other services (issue 17: the
-- instruction page lists them, with links to intake's download). No bytes, no hash: what a
-- list shows. Read with the owner's rights like every contract view; the tenant policy still
-- applies, the owner being subject to forced row-level security.
CREATE VIEW intake.pieces_v1 WITH (security_invoker = false) AS
    SELECT a.tenant_id, a.id, a.dossier_id, a.piece_code, a.name, a.sniffed_type,
           a.size_bytes, a.scan_state, a.withdrawn_at IS NULL AS current, a.uploaded_at
    FROM intake.attachments a;
GRANT SELECT ON intake.pieces_v1 TO napoleon_service, napoleon_app;

-- A dossier's pieces (issue 17). The bytes live in object storage under a key made of the
-- tenant's id and the piece's id only (napoleon_storage::PieceStore::key); this row is the
-- piece's metadata. Rows are never deleted: a piece replaced or removed keeps its row, with
-- when and by whom (`withdrawn_*`), and a replacement names the piece it replaced — the
-- dossier's history of pieces. A piece is served only once clamd found it clean; an infected
-- one stays stored (quarantined, for the security officer) and is never served.
CREATE TABLE intake.attachments (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    dossier_id     uuid NOT NULL,
    -- The catalogue's kind of piece (`b2`, `etat_services`), as napoleon_rules::PieceCode.
    piece_code     text NOT NULL CHECK (piece_code ~ '^[a-z][a-z0-9_]{0,39}$'),
    -- The name the agent gave, sanitised (napoleon_pieces::PieceName): shown, never a path.
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Decided from the content (napoleon_pieces::identify), never from the name.
    sniffed_type   text NOT NULL CHECK (sniffed_type IN ('pdf', 'jpeg', 'png', 'odt', 'docx')),
    size_bytes     bigint NOT NULL CHECK (size_bytes > 0),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    scan_state     text NOT NULL DEFAULT 'pending'
                       CHECK (scan_state IN ('pending', 'clean', 'infected')),
    -- clamd's signature name, for an infected piece.
    scan_signature text CHECK (scan_signature IS NULL OR length(scan_signature) <= 200),
    scanned_at     timestamptz,
    uploaded_by    uuid NOT NULL REFERENCES core.agents (id),
    uploaded_at    timestamptz NOT NULL DEFAULT core.clock_now(),
    -- The piece this one replaced (same dossier, same kind).
    replaces       uuid,
    withdrawn_at   timestamptz,
    withdrawn_by   uuid REFERENCES core.agents (id),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id),
    FOREIGN KEY (tenant_id, replaces) REFERENCES intake.attachments (tenant_id, id),
    CHECK ((scan_state = 'pending') = (scanned_at IS NULL)),
    CHECK ((scan_state = 'infected') = (scan_signature IS NOT NULL)),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
CREATE INDEX attachments_of_dossier ON intake.attachments (tenant_id, dossier_id, uploaded_at);
ALTER TABLE intake.attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake.attachments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON intake.attachments
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());

GRANT SELECT, INSERT ON intake.attachments TO napoleon_app, napoleon_intake;
-- Each attached piece is queued for its scan in the transaction that records it: intake
-- enqueues that kind of job and no other (a restrictive policy, beside the tenant's).
GRANT INSERT ON jobs.jobs TO napoleon_intake;
CREATE POLICY intake_enqueues_scans ON jobs.jobs AS RESTRICTIVE FOR INSERT TO napoleon_intake
    WITH CHECK (kind = 'intake.piece_scan');
-- Intake withdraws pieces (replaced, removed); only the scan decides their state.
GRANT UPDATE (withdrawn_at, withdrawn_by) ON intake.attachments TO napoleon_app, napoleon_intake;

-- The worker's scan job (intake's code, run by the worker) reads what it scans and records
-- clamd's verdict through these two functions only, with the owner's rights: the worker
-- writes no table of intake's. The tenant policy still applies (forced on the owner too).
CREATE FUNCTION intake.piece_for_scan(p_piece uuid)
RETURNS TABLE (dossier_id uuid, piece_code text, sha256 text, scan_state text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, intake, core, pg_temp AS $$
    SELECT a.dossier_id, a.piece_code, a.sha256, a.scan_state
      FROM intake.attachments a
     WHERE a.tenant_id = core.current_tenant() AND a.id = p_piece
$$;
-- Only a piece still pending gets a verdict (a second attempt changes nothing).
CREATE FUNCTION intake.record_piece_scan(p_piece uuid, p_state text, p_signature text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, intake, core, pg_temp AS $$
DECLARE
    changed integer;
BEGIN
    IF p_state NOT IN ('clean', 'infected') THEN
        RAISE EXCEPTION 'a scan ends clean or infected, not %', p_state;
    END IF;
    UPDATE intake.attachments
       SET scan_state = p_state, scan_signature = p_signature, scanned_at = core.clock_now()
     WHERE tenant_id = core.current_tenant() AND id = p_piece AND scan_state = 'pending';
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed = 1;
END
$$;
REVOKE ALL ON FUNCTION intake.piece_for_scan(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION intake.record_piece_scan(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake.piece_for_scan(uuid) TO napoleon_worker, napoleon_app;
GRANT EXECUTE ON FUNCTION intake.record_piece_scan(uuid, text, text) TO napoleon_worker, napoleon_app;

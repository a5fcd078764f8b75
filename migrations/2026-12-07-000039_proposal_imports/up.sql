-- Issue 18, Build 2: a unit's proposals uploaded in bulk for a campaign (CSV, XLSX, ODS).
-- Each valid row becomes a draft at the uploader's unit; a row whose person the campaign
-- already received from an import is recognised and adds nothing (the agent corrects the
-- refused rows in the file and sends the whole file again).

-- One file checked or imported, and what came of it: its counts, its refused rows (the
-- line-level report: row, column, value, reason) and its rows' drafts (row, dossier, whether
-- created by this file or an earlier one). The report holds the file's values: personal
-- data, read only by the unit's agents who may file. A report still `{}` is a request cut
-- short (sending the same file again finishes it).
CREATE TABLE intake.proposal_imports (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    id          uuid NOT NULL,
    campaign_id uuid NOT NULL,
    unit_id     uuid NOT NULL,
    agent_id    uuid NOT NULL REFERENCES core.agents (id),
    mode        text NOT NULL CHECK (mode IN ('verification', 'import')),
    file_name   text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    -- Rows read; refused (the others were valid); drafts created; valid rows already
    -- imported.
    rows_read   integer NOT NULL CHECK (rows_read >= 0),
    rejected    integer NOT NULL CHECK (rejected BETWEEN 0 AND rows_read),
    created     integer NOT NULL CHECK (created >= 0),
    existing    integer NOT NULL CHECK (existing >= 0),
    -- {detected: what napoleon_tabular found, problems: [{line, column, value, reason}],
    --  outcomes: [{line, dossier, existing, verdict, to_complete, duplicates}]}.
    report      jsonb NOT NULL CHECK (jsonb_typeof(report) = 'object'),
    -- A checked file imported from its report: the import it became.
    imported_as uuid,
    created_at  timestamptz NOT NULL DEFAULT core.clock_now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES core.org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES intake.campaigns (tenant_id, id),
    FOREIGN KEY (tenant_id, imported_as) REFERENCES intake.proposal_imports (tenant_id, id)
);
CREATE INDEX proposal_imports_latest ON intake.proposal_imports (tenant_id, unit_id, created_at DESC);
ALTER TABLE intake.proposal_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake.proposal_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON intake.proposal_imports
    USING (tenant_id = core.current_tenant()) WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT, UPDATE ON intake.proposal_imports TO napoleon_app, napoleon_intake;

-- The natural key of an imported proposal: the campaign, the unit and the person (folded
-- birth name and first given name, birth date; core.name_key and core.iso_date, as the
-- dossiers' generated columns) → its draft. One draft per person, campaign and unit from
-- imports: the same file sent twice, or corrected and sent again, adds only the rows not yet
-- imported. Per unit: another unit's drafts are its authors' alone, so an import never tells
-- (nor is blocked by) what another unit imported; the same person proposed by two units is
-- a possible duplicate, reviewed as such.
CREATE TABLE intake.imported_proposals (
    tenant_id   uuid NOT NULL,
    campaign_id uuid NOT NULL,
    unit_id     uuid NOT NULL,
    name_key    text NOT NULL,
    born        text NOT NULL,
    dossier_id  uuid NOT NULL,
    import_id   uuid NOT NULL,
    line        bigint NOT NULL CHECK (line > 0),
    PRIMARY KEY (tenant_id, campaign_id, unit_id, name_key, born),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id),
    FOREIGN KEY (tenant_id, import_id) REFERENCES intake.proposal_imports (tenant_id, id)
);
ALTER TABLE intake.imported_proposals ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake.imported_proposals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON intake.imported_proposals
    USING (tenant_id = core.current_tenant()) WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT ON intake.imported_proposals TO napoleon_app, napoleon_intake;

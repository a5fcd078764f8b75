-- One nomination end to end: campaigns and dossiers (intake), the review circuit
-- (instruction), ranking, decisions and publication (decisions), and the laureate registry.
--
-- Each service writes only its own schema. What others read goes through the `_v1` views
-- (security_invoker, so row-level security applies to the caller) and the one function
-- `intake.move_dossier`, the documented contract by which instruction and decisions move a
-- dossier to the state the shared state machine allows (ARCHITECTURE.md, "Cross-service
-- contracts").

-- Every tenant table below follows the same pattern: tenant_id first in the primary key,
-- row-level security enabled and forced, one policy with USING and WITH CHECK.
CREATE FUNCTION pg_temp.isolate(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = core.current_tenant()) '
                   'WITH CHECK (tenant_id = core.current_tenant())', tbl);
END $$;

-- Intake --------------------------------------------------------------------------------

CREATE TABLE intake.campaigns (
    tenant_id      uuid NOT NULL REFERENCES core.tenants (id),
    id             uuid NOT NULL,
    distinction    text NOT NULL CHECK (distinction ~ '^[A-Z][A-Z0-9_]{1,15}$'),
    label          text NOT NULL CHECK (length(label) BETWEEN 3 AND 200),
    promotion_date date NOT NULL,
    opens_on       date NOT NULL,
    closes_on      date NOT NULL CHECK (closes_on >= opens_on),
    -- The unit that receives transmitted dossiers and decides (the ministry's central bureau).
    bureau_unit_id uuid NOT NULL,
    -- grade code → number of places (contingent), set per campaign.
    contingents    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(contingents) = 'object'),
    created_by     uuid NOT NULL REFERENCES core.agents (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, bureau_unit_id) REFERENCES core.org_units (tenant_id, id)
);
SELECT pg_temp.isolate('intake.campaigns');
GRANT SELECT, INSERT, UPDATE ON intake.campaigns TO napoleon_app;

-- The last dossier number given for each prefix (`LH-2027-07`): numbers are gapless and
-- unique per distinction and promotion, whatever the number of campaigns sharing them.
CREATE TABLE intake.number_counters (
    tenant_id   uuid NOT NULL REFERENCES core.tenants (id),
    prefix      text NOT NULL CHECK (prefix ~ '^[A-Z][A-Z0-9_]{1,15}-[0-9]{4}-[0-9]{2}$'),
    last_number integer NOT NULL,
    PRIMARY KEY (tenant_id, prefix)
);
SELECT pg_temp.isolate('intake.number_counters');
GRANT SELECT, INSERT, UPDATE ON intake.number_counters TO napoleon_app;

CREATE TABLE intake.dossiers (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    campaign_id   uuid NOT NULL,
    -- The unit that files it (a préfecture, a bureau).
    unit_id       uuid NOT NULL,
    -- Where it is instructed now: the filing unit, then the campaign's bureau.
    level_unit_id uuid NOT NULL,
    state         text NOT NULL CHECK (state IN ('brouillon', 'depose', 'en_instruction',
                      'avis_rendu', 'complement_demande', 'transmis', 'retenu', 'ajourne',
                      'refuse', 'publie')),
    number        text,
    target_grade  text NOT NULL CHECK (target_grade ~ '^[a-z_]{2,30}$'),
    -- Candidate identity, career, distinctions held, exposé des motifs (personal data: never
    -- logged; the JSON shape is `napoleon_intake::content::Content`).
    content       jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
    -- Set when the dossier proposes a laureate of the registry for the next grade.
    laureate_id   uuid,
    -- Attachments arrive with the next issues; their rows will reference (tenant_id, id).
    created_by    uuid NOT NULL REFERENCES core.agents (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    submitted_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    CHECK ((state = 'brouillon') = (number IS NULL)),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES intake.campaigns (tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES core.org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, level_unit_id) REFERENCES core.org_units (tenant_id, id)
);
CREATE INDEX dossiers_by_level ON intake.dossiers (tenant_id, level_unit_id, state);
CREATE INDEX dossiers_by_campaign ON intake.dossiers (tenant_id, campaign_id, state);
SELECT pg_temp.isolate('intake.dossiers');
GRANT SELECT, INSERT, UPDATE ON intake.dossiers TO napoleon_app;

-- Instruction ---------------------------------------------------------------------------

-- Who took a dossier at a level.
CREATE TABLE instruction.assignments (
    tenant_id     uuid NOT NULL,
    dossier_id    uuid NOT NULL,
    level_unit_id uuid NOT NULL,
    agent_id      uuid NOT NULL REFERENCES core.agents (id),
    taken_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, dossier_id, level_unit_id),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id)
);
SELECT pg_temp.isolate('instruction.assignments');
GRANT SELECT, INSERT, UPDATE, DELETE ON instruction.assignments TO napoleon_app;

CREATE TABLE instruction.opinions (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    dossier_id    uuid NOT NULL,
    level_unit_id uuid NOT NULL,
    agent_id      uuid NOT NULL REFERENCES core.agents (id),
    verdict       text NOT NULL CHECK (verdict IN ('favorable', 'defavorable')),
    motivation    text NOT NULL CHECK (length(motivation) BETWEEN 1 AND 5000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id)
);
CREATE INDEX opinions_by_dossier ON instruction.opinions (tenant_id, dossier_id);
SELECT pg_temp.isolate('instruction.opinions');
GRANT SELECT, INSERT ON instruction.opinions TO napoleon_app;

-- Messages to the filing unit (requests for complements).
CREATE TABLE instruction.messages (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    dossier_id uuid NOT NULL,
    agent_id   uuid NOT NULL REFERENCES core.agents (id),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id)
);
CREATE INDEX messages_by_dossier ON instruction.messages (tenant_id, dossier_id);
SELECT pg_temp.isolate('instruction.messages');
GRANT SELECT, INSERT ON instruction.messages TO napoleon_app;

-- Decisions -----------------------------------------------------------------------------

CREATE TABLE decisions.rankings (
    tenant_id   uuid NOT NULL,
    dossier_id  uuid NOT NULL,
    campaign_id uuid NOT NULL,
    rank        integer NOT NULL CHECK (rank > 0),
    decision    text CHECK (decision IN ('retenu', 'ajourne', 'refuse')),
    motivation  text,
    decided_by  uuid REFERENCES core.agents (id),
    decided_at  timestamptz,
    PRIMARY KEY (tenant_id, dossier_id),
    FOREIGN KEY (tenant_id, dossier_id) REFERENCES intake.dossiers (tenant_id, id)
);
CREATE INDEX rankings_by_campaign ON decisions.rankings (tenant_id, campaign_id, rank);
SELECT pg_temp.isolate('decisions.rankings');
GRANT SELECT, INSERT, UPDATE ON decisions.rankings TO napoleon_app;

-- One list per campaign: closed (frozen), then published.
CREATE TABLE decisions.lists (
    tenant_id    uuid NOT NULL,
    campaign_id  uuid NOT NULL,
    closed_at    timestamptz NOT NULL DEFAULT now(),
    closed_by    uuid NOT NULL REFERENCES core.agents (id),
    decree_date  date,
    jo_reference text,
    published_at timestamptz,
    PRIMARY KEY (tenant_id, campaign_id),
    CHECK ((decree_date IS NULL) = (published_at IS NULL)),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES intake.campaigns (tenant_id, id)
);
SELECT pg_temp.isolate('decisions.lists');
GRANT SELECT, INSERT, UPDATE ON decisions.lists TO napoleon_app;

-- Registry: persons' awards, kept apart from dossier retention ------------------------

CREATE SCHEMA registry;
GRANT USAGE ON SCHEMA registry TO napoleon_app;

CREATE TABLE registry.laureates (
    tenant_id  uuid NOT NULL REFERENCES core.tenants (id),
    id         uuid NOT NULL,
    -- Names, sex, birth date and place (personal data; shape `Content.candidate`).
    identity   jsonb NOT NULL CHECK (jsonb_typeof(identity) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
SELECT pg_temp.isolate('registry.laureates');
GRANT SELECT, INSERT, UPDATE ON registry.laureates TO napoleon_app;

CREATE TABLE registry.awards (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    laureate_id    uuid NOT NULL,
    distinction    text NOT NULL,
    grade          text NOT NULL,
    decree_date    date NOT NULL,
    jo_reference   text NOT NULL,
    -- Réception (prise de rang): durations toward the next grade count from it.
    reception_date date,
    -- The dossier and unit it came from, when it came through Napoléon.
    dossier_id     uuid,
    unit_id        uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, dossier_id),
    FOREIGN KEY (tenant_id, laureate_id) REFERENCES registry.laureates (tenant_id, id)
);
CREATE INDEX awards_by_laureate ON registry.awards (tenant_id, laureate_id);
SELECT pg_temp.isolate('registry.awards');
GRANT SELECT, INSERT, UPDATE ON registry.awards TO napoleon_app;

-- Cross-service contracts -----------------------------------------------------------------

CREATE VIEW intake.campaigns_v1 WITH (security_invoker = true) AS
    SELECT tenant_id, id, distinction, label, promotion_date, opens_on, closes_on,
           bureau_unit_id, contingents
    FROM intake.campaigns;

CREATE VIEW intake.dossiers_v1 WITH (security_invoker = true) AS
    SELECT d.tenant_id, d.id, d.campaign_id, c.distinction, d.unit_id, d.level_unit_id,
           d.state, d.number, d.target_grade, d.content, d.laureate_id, d.submitted_at,
           d.updated_at
    FROM intake.dossiers d
    JOIN intake.campaigns c ON c.tenant_id = d.tenant_id AND c.id = d.campaign_id;

CREATE VIEW registry.awards_v1 WITH (security_invoker = true) AS
    SELECT a.tenant_id, a.id, a.laureate_id, l.identity, a.distinction, a.grade,
           a.decree_date, a.jo_reference, a.reception_date, a.dossier_id, a.unit_id
    FROM registry.awards a
    JOIN registry.laureates l ON l.tenant_id = a.tenant_id AND l.id = a.laureate_id;

CREATE VIEW decisions.lists_v1 WITH (security_invoker = true) AS
    SELECT tenant_id, campaign_id, closed_at, published_at
    FROM decisions.lists;

GRANT SELECT ON intake.campaigns_v1, intake.dossiers_v1, registry.awards_v1, decisions.lists_v1
    TO napoleon_app;

-- Moves a dossier of the current tenant from one of `p_from` to `p_to` (and, when given, to
-- another level) in one statement: 1 if it moved, 0 if it was not in an expected state (the
-- caller answers 409). The state machine itself is `napoleon_rules::dossier`; this function
-- is the compare-and-set that keeps two agents from moving the same dossier at once.
CREATE FUNCTION intake.move_dossier(p_dossier uuid, p_from text[], p_to text, p_level uuid)
RETURNS integer LANGUAGE sql SECURITY INVOKER AS $$
    WITH moved AS (
        UPDATE intake.dossiers
           SET state = p_to,
               level_unit_id = coalesce(p_level, level_unit_id),
               updated_at = now()
         WHERE tenant_id = core.current_tenant() AND id = p_dossier AND state = ANY (p_from)
        RETURNING 1)
    SELECT count(*)::integer FROM moved
$$;
GRANT EXECUTE ON FUNCTION intake.move_dossier(uuid, text[], text, uuid) TO napoleon_app;

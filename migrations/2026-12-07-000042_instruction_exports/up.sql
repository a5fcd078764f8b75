-- Exports of instruction's lists (issue 18, Builds 3 and 5): the search's results, a tab of the
-- queue, the rows ticked on either. Instruction's pages enqueue and show the jobs
-- (`instruction.export`); the worker runs them, as it runs promotion's (migration 000035).
-- A restrictive policy keeps every other kind of job out of instruction's reach.
GRANT SELECT, INSERT ON jobs.jobs TO napoleon_instruction;
CREATE POLICY instruction_sees_its_exports_only ON jobs.jobs AS RESTRICTIVE
    TO napoleon_instruction
    USING (kind = 'instruction.export') WITH CHECK (kind = 'instruction.export');

-- The worker reads the lists as the pages do, through intake's contract view, with the
-- queue's two conditions on instruction's own tables (migration 000026): who took a dossier
-- (« suivis », « pris en charge par moi ») and the last opinion's author at its level (« à
-- traiter », four eyes): the columns those conditions read, and nothing else of the tables
-- (the opinions' contract view, instruction.opinions_v1, is every service's already:
-- migration 000029).
GRANT SELECT (tenant_id, dossier_id, agent_id) ON instruction.assignments TO napoleon_worker;
GRANT SELECT (tenant_id, id, dossier_id, level_unit_id, agent_id, created_at)
    ON instruction.opinions TO napoleon_worker;
GRANT EXECUTE ON FUNCTION instruction.holds(uuid, uuid, uuid),
    instruction.last_opinion_author(uuid, uuid, uuid) TO napoleon_worker;

-- Exporting dossiers is a permission of its own (`instruction:export`): a bulk disclosure of
-- candidates' identities, not every reader's (the instructeur and the valideur, on the units
-- where they instruct; an administrator grants it to others, or withdraws it, on the policy
-- page). Existing tenants get it where the role reads dossiers today, and their policy version
-- moves so that every instance reloads it. Tenant by tenant, as the policies require.
DO $$
DECLARE
    t record;
    added integer;
BEGIN
    FOR t IN SELECT id FROM core.tenants LOOP
        PERFORM set_config('napoleon.tenant_id', t.id::text, true);
        INSERT INTO authz.policy_rules (tenant_id, id, ptype, v0, v1, v2, v3)
            SELECT r.tenant_id, gen_random_uuid(), 'p', r.v0, r.v1, 'instruction', 'export'
              FROM authz.policy_rules r
             WHERE r.tenant_id = t.id AND r.ptype = 'p' AND r.v2 = 'nomination' AND r.v3 = 'read'
               AND r.v0 IN ('instructeur', 'valideur')
            ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added > 0 THEN
            INSERT INTO authz.policy_versions (tenant_id, version) VALUES (t.id, 1)
                ON CONFLICT (tenant_id) DO UPDATE SET version = authz.policy_versions.version + 1;
        END IF;
    END LOOP;
    PERFORM set_config('napoleon.tenant_id', '', true);
END
$$;

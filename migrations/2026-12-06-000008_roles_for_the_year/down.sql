-- The owner is subject to the table's forced row-level security (no tenant is set here):
-- lift it for the cleanup, or the DELETE would see no row and the new check would fail.
ALTER TABLE core.memberships NO FORCE ROW LEVEL SECURITY;
DELETE FROM core.memberships WHERE role IN ('chef_de_bureau', 'cabinet', 'president_commission',
    'formateur', 'delegue_protection_donnees', 'officier_securite', 'relecteur_externe');
ALTER TABLE core.memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE core.memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE core.memberships ADD CONSTRAINT memberships_role_check CHECK (role IN (
    'redacteur', 'instructeur', 'valideur', 'integrateur', 'membre_commission',
    'administrateur', 'auditeur'));

DELETE FROM core.memberships WHERE role IN ('chef_de_bureau', 'cabinet', 'president_commission',
    'formateur', 'delegue_protection_donnees', 'officier_securite', 'relecteur_externe');
ALTER TABLE core.memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE core.memberships ADD CONSTRAINT memberships_role_check CHECK (role IN (
    'redacteur', 'instructeur', 'valideur', 'integrateur', 'membre_commission',
    'administrateur', 'auditeur'));

-- The roles of a bureau's whole year (napoleon_kernel::Role): chef de bureau, cabinet,
-- président de commission, formateur, délégué à la protection des données, officier de
-- sécurité, relecteur externe. Their permissions are the default policy's (default-v1.csv).
ALTER TABLE core.memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE core.memberships ADD CONSTRAINT memberships_role_check CHECK (role IN (
    'redacteur', 'instructeur', 'valideur', 'integrateur', 'membre_commission',
    'administrateur', 'auditeur', 'chef_de_bureau', 'cabinet', 'president_commission',
    'formateur', 'delegue_protection_donnees', 'officier_securite', 'relecteur_externe'));

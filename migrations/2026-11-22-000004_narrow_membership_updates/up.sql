-- The login's claim policy (claim_by_email) lets the identity transaction UPDATE memberships
-- granted to the agent's email; its WITH CHECK constrains agent_id but not the other columns.
-- The application only ever updates agent_id (grants are inserted, withdrawals deleted), so
-- grant exactly that column: a claim can never change a role, a unit or a tenant.
REVOKE UPDATE ON core.memberships FROM napoleon_app;
GRANT UPDATE (agent_id) ON core.memberships TO napoleon_app;

REVOKE UPDATE (agent_id) ON core.memberships FROM napoleon_app;
GRANT UPDATE ON core.memberships TO napoleon_app;

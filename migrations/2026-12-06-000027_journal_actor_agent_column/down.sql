ALTER TABLE journal.events DROP COLUMN actor_agent_id;

DROP INDEX jobs.jobs_finished;
DROP POLICY owner_purges ON outbox.messages;
DROP POLICY owner_purges ON jobs.jobs;
DROP FUNCTION jobs.purge_finished(timestamptz, integer);

DROP INDEX jobs.jobs_by_kind;
DROP POLICY owner_schedules ON jobs.jobs;
DROP FUNCTION jobs.enqueue_periodic(text, text, timestamptz);
DROP INDEX jobs.jobs_once_per_period;
ALTER TABLE jobs.jobs DROP COLUMN period;

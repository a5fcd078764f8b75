DROP FUNCTION jobs.running(timestamptz);
DROP FUNCTION jobs.lease(text, text[], timestamptz, integer);
DROP TABLE jobs.jobs;
DROP SCHEMA jobs;

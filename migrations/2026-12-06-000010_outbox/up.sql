-- The transactional outbox: a message to send (an HTTP POST today; e-mails and webhooks come
-- with their channels) is written in the transaction of the change it tells about, together
-- with the job that delivers it. Both exist exactly when that transaction commits: a rolled
-- back change sends nothing, a committed one is delivered at least once. The message id is
-- stable across attempts, so a receiver that saw it already can tell a retry from news.

CREATE SCHEMA outbox;
GRANT USAGE ON SCHEMA outbox TO napoleon_app;

CREATE TABLE outbox.messages (
    tenant_id    uuid NOT NULL REFERENCES core.tenants (id),
    id           uuid NOT NULL,
    channel      text NOT NULL CHECK (channel IN ('http')),
    destination  text NOT NULL CHECK (length(destination) BETWEEN 1 AND 2000),
    event        text NOT NULL CHECK (event ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' AND length(event) <= 64),
    payload      jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object' AND octet_length(payload::text) <= 262144),
    job_id       uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT core.clock_now(),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status  integer CHECK (last_status BETWEEN 100 AND 599),
    last_error   text CHECK (length(last_error) <= 2000),
    delivered_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs (tenant_id, id)
);
CREATE INDEX messages_by_job ON outbox.messages (tenant_id, job_id);
CREATE INDEX messages_undelivered ON outbox.messages (tenant_id, created_at) WHERE delivered_at IS NULL;
ALTER TABLE outbox.messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox.messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox.messages
    USING (tenant_id = core.current_tenant())
    WITH CHECK (tenant_id = core.current_tenant());
GRANT SELECT, INSERT ON outbox.messages TO napoleon_app;
-- What a delivery records; what was said, to whom, stays as written.
GRANT UPDATE (attempts, last_status, last_error, delivered_at) ON outbox.messages TO napoleon_app;

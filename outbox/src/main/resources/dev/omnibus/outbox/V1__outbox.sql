-- Omnibus outbox schema, version 1. ${outbox}, ${inbox} and the *_name placeholders are replaced with the configured
-- table names (validated identifiers) by OutboxSchema.migrate; run it yourself with the same replacements when
-- Flyway or Liquibase owns the schema.

-- One row per event written with Outbox.publish, in the writer's transaction. seq orders rows (and so, per
-- partition key, the publishes); event holds the whole event, encoded by the library (attributes, extensions, data).
CREATE TABLE IF NOT EXISTS ${outbox} (
    seq           bigserial   PRIMARY KEY,
    topic         text        NOT NULL,
    event_id      text        NOT NULL,
    event_source  text        NOT NULL,
    event_type    text        NOT NULL,
    partition_key text,
    event         bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempts      integer     NOT NULL DEFAULT 0,
    last_error    text,
    sent_at       timestamptz,
    parked_at     timestamptz,
    park_reason   text
);

-- What a relay claims: pending rows in seq order.
CREATE INDEX IF NOT EXISTS ${outbox_name}_pending ON ${outbox} (seq) WHERE sent_at IS NULL AND parked_at IS NULL;
-- The order check of keyed rows.
CREATE INDEX IF NOT EXISTS ${outbox_name}_pending_key ON ${outbox} (partition_key, seq)
    WHERE sent_at IS NULL AND parked_at IS NULL AND partition_key IS NOT NULL;
-- Retention of sent rows.
CREATE INDEX IF NOT EXISTS ${outbox_name}_sent ON ${outbox} (sent_at) WHERE sent_at IS NOT NULL;

-- One row per (consumer group, event source, event id) an IdempotentHandler applied, in the handler's transaction.
CREATE TABLE IF NOT EXISTS ${inbox} (
    consumer_group text        NOT NULL,
    event_source   text        NOT NULL,
    event_id       text        NOT NULL,
    processed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_source, event_id)
);

-- Cleanup of old inbox rows by age.
CREATE INDEX IF NOT EXISTS ${inbox_name}_processed_at ON ${inbox} (processed_at);

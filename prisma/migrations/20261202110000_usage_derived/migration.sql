-- Usage storage that grows with keys and time, not traffic (DESIGN.md section 15.2):
-- raw events partitioned by day, derived tables per hour and day, and the history of the
-- previous layout (raw events and per-minute rollups) moved into them.

-- Key search by any part of the name (the keys list's `q`).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Latency histograms are int arrays whose lower bound is their first bucket; adding two
-- keeps the union of their ranges. Not STRICT: NULL is the empty histogram.
CREATE FUNCTION usage_hist_add(a INTEGER[], b INTEGER[]) RETURNS INTEGER[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  result INTEGER[];
  i INTEGER;
BEGIN
  IF a IS NULL OR cardinality(a) = 0 THEN RETURN b; END IF;
  IF b IS NULL OR cardinality(b) = 0 THEN RETURN a; END IF;
  result := array_fill(0, ARRAY[greatest(array_upper(a, 1), array_upper(b, 1)) - least(array_lower(a, 1), array_lower(b, 1)) + 1],
                       ARRAY[least(array_lower(a, 1), array_lower(b, 1))]);
  FOR i IN array_lower(a, 1)..array_upper(a, 1) LOOP result[i] := result[i] + a[i]; END LOOP;
  FOR i IN array_lower(b, 1)..array_upper(b, 1) LOOP result[i] := result[i] + b[i]; END LOOP;
  RETURN result;
END $$;

CREATE AGGREGATE usage_hist_sum(INTEGER[]) (SFUNC = usage_hist_add, STYPE = INTEGER[]);

-- The bucket of a latency as lib/usage/latency-histogram.ts defines it (1 + floor(log_1.08 of
-- ms / 0.01), capped at 240); used here only to carry the previous layout's raw events into
-- the histograms. A later `usage rebuild` computes the same buckets from the exact bounds.
CREATE FUNCTION usage_latency_bucket(ms REAL) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN ms < 0.01 THEN 0 ELSE least(240, 1 + floor(ln(ms::float8 / 0.01) / ln(1.08))::int) END
$$;

-- The previous raw table steps aside; its sequence carries on in the new one, so event ids
-- keep growing.
ALTER TABLE "usage_events" RENAME TO "usage_events_previous";
ALTER TABLE "usage_events_previous" RENAME CONSTRAINT "usage_events_pkey" TO "usage_events_previous_pkey";
DROP INDEX "usage_events_key_id_at_idx";
DROP INDEX "usage_events_at_idx";
DROP INDEX "usage_events_outcome_at_idx";
ALTER SEQUENCE "usage_events_id_seq" OWNED BY NONE;

CREATE TABLE "usage_events" (
    "id" BIGINT NOT NULL DEFAULT nextval('usage_events_id_seq'),
    "key_id" TEXT,
    "outcome" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "latency_ms" REAL NOT NULL,
    "ip" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_events_pkey" PRIMARY KEY ("at","id")
) PARTITION BY RANGE ("at");
ALTER SEQUENCE "usage_events_id_seq" OWNED BY "usage_events"."id";

CREATE INDEX "usage_events_key_id_at_id_idx" ON "usage_events"("key_id", "at", "id");
CREATE INDEX "usage_events_outcome_at_id_idx" ON "usage_events"("outcome", "at", "id");

-- Any row outside the daily partitions lands here, so no insert ever fails for want of one;
-- usage_events_add_partition moves such rows into the day's partition when it is made.
CREATE TABLE "usage_events_default" PARTITION OF "usage_events" DEFAULT;

-- Creates the partition of one UTC day (usage_events_YYYYMMDD) unless it exists. Instances
-- starting together serialise on an advisory lock.
CREATE FUNCTION usage_events_add_partition(day DATE) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
  name TEXT := 'usage_events_' || to_char(day, 'YYYYMMDD');
  lower_bound TIMESTAMPTZ := day::timestamp AT TIME ZONE 'UTC';
  upper_bound TIMESTAMPTZ := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('usage_events partitions'));
  IF to_regclass(format('%I', name)) IS NOT NULL THEN RETURN FALSE; END IF;
  EXECUTE format('CREATE TABLE %I (LIKE usage_events INCLUDING DEFAULTS)', name);
  EXECUTE format('WITH moved AS (DELETE FROM usage_events_default WHERE at >= %L AND at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                 lower_bound, upper_bound, name);
  EXECUTE format('ALTER TABLE usage_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lower_bound, upper_bound);
  RETURN TRUE;
END $$;

-- Drops the daily partitions of days before `before` and the default partition's rows from
-- then; returns how many partitions went.
CREATE FUNCTION usage_events_drop_partitions(before DATE) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  part RECORD;
  dropped INTEGER := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('usage_events partitions'));
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{8}$'
      AND to_date(substr(c.relname, 14), 'YYYYMMDD') < before
  LOOP
    EXECUTE format('DROP TABLE %I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  DELETE FROM usage_events_default WHERE at < before::timestamp AT TIME ZONE 'UTC';
  RETURN dropped;
END $$;

-- Partitions for every day the previous raw events cover (at most 60 days back) and the
-- next 7 days; the server keeps this window moving from then on.
SELECT usage_events_add_partition(day::date)
FROM generate_series(
  least((now() AT TIME ZONE 'UTC')::date - 7,
        greatest(coalesce((SELECT min(at) AT TIME ZONE 'UTC' FROM usage_events_previous)::date, (now() AT TIME ZONE 'UTC')::date),
                 (now() AT TIME ZONE 'UTC')::date - 60)),
  (now() AT TIME ZONE 'UTC')::date + 7,
  interval '1 day') AS day;

-- Requests refused before any key lookup (no key, a key in the URL, two keys, a throttled
-- address) are counted only from now on; their history lives on in the derived tables below.
INSERT INTO "usage_events" ("id", "key_id", "outcome", "method", "path", "status", "latency_ms", "ip", "at")
SELECT "id", "key_id", "outcome", "method", left("path", 512), "status", "latency_ms", "ip", "at"
FROM "usage_events_previous"
WHERE NOT ("key_id" IS NULL AND "outcome" IN ('missing_key', 'key_in_query', 'ambiguous_key', 'rate_limited'));

-- CreateTable
CREATE TABLE "usage_hours" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "outcome" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "status_4xx" INTEGER NOT NULL DEFAULT 0,
    "status_5xx" INTEGER NOT NULL DEFAULT 0,
    "latency" INTEGER[],

    CONSTRAINT "usage_hours_pkey" PRIMARY KEY ("hour","outcome")
);

-- CreateTable
CREATE TABLE "usage_key_hours" (
    "key_id" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "outcome" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "credits" INTEGER NOT NULL DEFAULT 0,
    "status_4xx" INTEGER NOT NULL DEFAULT 0,
    "status_5xx" INTEGER NOT NULL DEFAULT 0,
    "latency" INTEGER[],

    CONSTRAINT "usage_key_hours_pkey" PRIMARY KEY ("key_id","hour","outcome")
);

-- CreateTable
CREATE TABLE "usage_key_days" (
    "key_id" TEXT NOT NULL,
    "day" TIMESTAMPTZ(0) NOT NULL,
    "outcome" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "credits" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "usage_key_days_pkey" PRIMARY KEY ("key_id","day","outcome")
);

-- CreateTable
CREATE TABLE "usage_path_hours" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "status_4xx" INTEGER NOT NULL DEFAULT 0,
    "status_5xx" INTEGER NOT NULL DEFAULT 0,
    "latency" INTEGER[],

    CONSTRAINT "usage_path_hours_pkey" PRIMARY KEY ("hour","method","path","outcome")
);

-- CreateTable
CREATE TABLE "usage_key_addresses" (
    "key_id" TEXT NOT NULL,
    "day" TIMESTAMPTZ(0) NOT NULL,
    "ip" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "denied" INTEGER NOT NULL DEFAULT 0,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "usage_key_addresses_pkey" PRIMARY KEY ("key_id","day","ip")
);

-- CreateTable
CREATE TABLE "usage_invalid_addresses" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "ip" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "first_at" TIMESTAMPTZ(3) NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "usage_invalid_addresses_pkey" PRIMARY KEY ("hour","ip")
);

-- CreateIndex
CREATE INDEX "usage_key_hours_hour_idx" ON "usage_key_hours"("hour");

-- CreateIndex
CREATE INDEX "usage_key_days_day_key_id_idx" ON "usage_key_days"("day", "key_id");

-- CreateIndex
CREATE INDEX "usage_key_addresses_day_idx" ON "usage_key_addresses"("day");

-- CreateIndex
CREATE INDEX "api_keys_name_idx" ON "api_keys" USING GIN ("name" gin_trgm_ops);

-- History of the previous layout. Counts come from its per-minute rollups, which saw every
-- request; status classes and latencies from its raw events, where they were still kept.
CREATE TEMPORARY TABLE previous_measures ON COMMIT DROP AS
SELECT coalesce("key_id", '') AS key_id, date_trunc('hour', "at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, "outcome",
       count(*) FILTER (WHERE "status" BETWEEN 400 AND 499)::int AS status_4xx,
       count(*) FILTER (WHERE "status" BETWEEN 500 AND 599)::int AS status_5xx,
       usage_latency_bucket("latency_ms") AS bucket, count(*)::int AS n
FROM "usage_events_previous"
GROUP BY 1, 2, 3, usage_latency_bucket("latency_ms");

INSERT INTO "usage_key_hours" ("key_id", "hour", "outcome", "requests", "credits", "status_4xx", "status_5xx", "latency")
SELECT r.key_id, r.hour, r.outcome, r.requests, r.requests, coalesce(m.status_4xx, 0), coalesce(m.status_5xx, 0), m.latency
FROM (
  SELECT "key_id", date_trunc('hour', "minute" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, "outcome", sum("count")::int AS requests
  FROM "usage_rollups" GROUP BY 1, 2, 3
) r
LEFT JOIN (
  SELECT key_id, hour, outcome, sum(status_4xx)::int AS status_4xx, sum(status_5xx)::int AS status_5xx,
         usage_hist_sum(array_fill(n, ARRAY[1], ARRAY[bucket])) AS latency
  FROM previous_measures GROUP BY 1, 2, 3
) m ON m.key_id = r.key_id AND m.hour = r.hour AND m.outcome = r.outcome
WHERE r.requests > 0;

INSERT INTO "usage_key_days" ("key_id", "day", "outcome", "requests", "credits")
SELECT "key_id", date_trunc('day', "hour" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "outcome", sum("requests")::int, sum("credits")::int
FROM "usage_key_hours" GROUP BY 1, 2, 3;

INSERT INTO "usage_hours" ("hour", "outcome", "requests", "status_4xx", "status_5xx", "latency")
SELECT "hour", "outcome", sum("requests")::int, sum("status_4xx")::int, sum("status_5xx")::int, usage_hist_sum("latency")
FROM "usage_key_hours" GROUP BY 1, 2;

INSERT INTO "usage_path_hours" ("hour", "method", "path", "outcome", "requests", "status_4xx", "status_5xx", "latency")
SELECT hour, method, path, outcome, sum(n)::int, sum(status_4xx)::int, sum(status_5xx)::int, usage_hist_sum(array_fill(n, ARRAY[1], ARRAY[bucket]))
FROM (
  SELECT date_trunc('hour', "at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, left("method", 16) AS method, left("path", 512) AS path, "outcome",
         usage_latency_bucket("latency_ms") AS bucket, count(*)::int AS n,
         count(*) FILTER (WHERE "status" BETWEEN 400 AND 499) AS status_4xx,
         count(*) FILTER (WHERE "status" BETWEEN 500 AND 599) AS status_5xx
  FROM "usage_events"
  GROUP BY 1, 2, 3, 4, 5
) p
GROUP BY 1, 2, 3, 4;

INSERT INTO "usage_key_addresses" ("key_id", "day", "ip", "requests", "denied", "last_seen_at")
SELECT "key_id", date_trunc('day', "at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "ip", count(*)::int,
       count(*) FILTER (WHERE "outcome" <> 'valid')::int, max("at")
FROM "usage_events"
WHERE "key_id" IS NOT NULL AND "ip" IS NOT NULL
GROUP BY 1, 2, 3;

INSERT INTO "usage_invalid_addresses" ("hour", "ip", "attempts", "first_at", "last_at")
SELECT date_trunc('hour', "at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', coalesce("ip", ''), count(*)::int, min("at"), max("at")
FROM "usage_events"
WHERE "outcome" = 'invalid_key'
GROUP BY 1, 2;

DROP TABLE "usage_events_previous";
DROP FUNCTION usage_latency_bucket(REAL);

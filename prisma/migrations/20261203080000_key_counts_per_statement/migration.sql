-- The key counts follow each statement instead of each row. A row trigger updated the one
-- key_totals row once per key, and in one transaction every update of a row walks the versions
-- the earlier ones left: a statement inserting or deleting 100,000 keys took minutes
-- (quadratic), where counting its transition table takes a fraction of a second.

DROP TRIGGER "api_keys_key_counts" ON "api_keys";

-- Keys not revoked leave the counts as they were (old_keys) and enter them as they are
-- (new_keys), so an update that changes neither revoked_at nor scopes (last_used_at, written by
-- every usage flush; remaining, by quota leases) nets to nothing and writes nothing. Transition
-- tables cannot be declared for a trigger with a column list or with more than one event, hence
-- three triggers on one function. The total is written before the scopes and the scopes in
-- name order, so concurrent statements take their locks in one order.
CREATE OR REPLACE FUNCTION key_counts_track() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  leaving CONSTANT TEXT := 'SELECT -1 AS d, scopes FROM old_keys WHERE revoked_at IS NULL';
  entering CONSTANT TEXT := 'SELECT 1 AS d, scopes FROM new_keys WHERE revoked_at IS NULL';
  delta CONSTANT TEXT := CASE TG_OP WHEN 'INSERT' THEN entering WHEN 'DELETE' THEN leaving ELSE leaving || ' UNION ALL ' || entering END;
BEGIN
  EXECUTE format(
    'UPDATE key_totals SET unrevoked = unrevoked + t.n FROM (SELECT sum(d) AS n FROM (%s) delta) t WHERE id = 1 AND t.n <> 0',
    delta);
  EXECUTE format(
    'INSERT INTO scope_key_counts (scope, keys)
     SELECT s, sum(d) FROM (%s) delta, LATERAL (SELECT DISTINCT unnest(delta.scopes) AS s) u
     GROUP BY s HAVING sum(d) <> 0 ORDER BY s
     ON CONFLICT (scope) DO UPDATE SET keys = scope_key_counts.keys + EXCLUDED.keys',
    delta);
  RETURN NULL;
END $$;

CREATE TRIGGER "api_keys_key_counts_insert" AFTER INSERT ON "api_keys"
REFERENCING NEW TABLE AS new_keys
FOR EACH STATEMENT EXECUTE FUNCTION key_counts_track();

CREATE TRIGGER "api_keys_key_counts_update" AFTER UPDATE ON "api_keys"
REFERENCING OLD TABLE AS old_keys NEW TABLE AS new_keys
FOR EACH STATEMENT EXECUTE FUNCTION key_counts_track();

CREATE TRIGGER "api_keys_key_counts_delete" AFTER DELETE ON "api_keys"
REFERENCING OLD TABLE AS old_keys
FOR EACH STATEMENT EXECUTE FUNCTION key_counts_track();

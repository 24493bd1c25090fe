-- The key counts follow each statement instead of each row. A row trigger updated the one
-- key_totals row once per key, and in one transaction every update of a row walks the versions
-- the earlier ones left: a statement inserting or deleting 100,000 keys took minutes
-- (quadratic), where counting its transition table takes a fraction of a second.

DROP TRIGGER "api_keys_key_counts" ON "api_keys";

-- Keys not revoked leave the counts as they were (old_keys) and enter them as they are
-- (new_keys), so an update that changes neither revoked_at nor scopes (last_used_at, written by
-- every usage flush; remaining, by quota leases) nets to nothing and writes nothing. Transition
-- tables cannot be declared for a trigger with a column list or with more than one event, hence
-- three triggers on one function; each runs only the branch that names its own tables. Both
-- sides are gathered as JSON lists of the keys' scopes so that one statement applies them: the
-- triggers add about 25 µs to a one-row UPDATE of api_keys here, where building the statements
-- as text (EXECUTE) added 110 µs. The total is written before the scopes and the scopes in name
-- order, so concurrent statements take their locks in one order.
CREATE OR REPLACE FUNCTION key_counts_track() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  leaving JSONB := '[]';
  entering JSONB := '[]';
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT coalesce(jsonb_agg(scopes), '[]') INTO leaving FROM old_keys WHERE revoked_at IS NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT coalesce(jsonb_agg(scopes), '[]') INTO entering FROM new_keys WHERE revoked_at IS NULL;
  END IF;
  UPDATE key_totals SET unrevoked = unrevoked + jsonb_array_length(entering) - jsonb_array_length(leaving)
  WHERE id = 1 AND jsonb_array_length(entering) <> jsonb_array_length(leaving);
  INSERT INTO scope_key_counts (scope, keys)
  SELECT s, sum(d) FROM (
    SELECT -1 AS d, scopes FROM jsonb_array_elements(leaving) AS scopes
    UNION ALL
    SELECT 1, scopes FROM jsonb_array_elements(entering) AS scopes
  ) delta, LATERAL (SELECT DISTINCT jsonb_array_elements_text(delta.scopes) AS s) u
  GROUP BY s HAVING sum(d) <> 0 ORDER BY s
  ON CONFLICT (scope) DO UPDATE SET keys = scope_key_counts.keys + EXCLUDED.keys;
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

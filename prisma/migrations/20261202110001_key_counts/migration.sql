-- Counts the dashboard and the scope list show, kept current by a trigger instead of counted
-- over api_keys on every request (issue 11): keys not revoked, in all and per scope.

-- Byte order for `start`, so `start LIKE 'kh_live_a1%'` (prefix search) can use its index
-- whatever the database's collation; starts are ASCII, so no order people see changes.
ALTER TABLE "api_keys" ALTER COLUMN "start" TYPE TEXT COLLATE "C";

-- CreateTable
CREATE TABLE "key_totals" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "unrevoked" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "key_totals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scope_key_counts" (
    "scope" TEXT NOT NULL,
    "keys" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "scope_key_counts_pkey" PRIMARY KEY ("scope")
);

-- Recounts both from api_keys: at this migration, and after bulk loads that bypass the trigger.
CREATE FUNCTION key_counts_refresh() RETURNS VOID
LANGUAGE sql AS $$
  DELETE FROM key_totals;
  INSERT INTO key_totals (id, unrevoked) SELECT 1, count(*) FROM api_keys WHERE revoked_at IS NULL;
  DELETE FROM scope_key_counts;
  INSERT INTO scope_key_counts (scope, keys)
  SELECT s, count(*) FROM api_keys, LATERAL (SELECT DISTINCT unnest(scopes) AS s) u WHERE revoked_at IS NULL GROUP BY s;
$$;

CREATE FUNCTION key_counts_track() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.revoked_at IS NULL THEN
    UPDATE key_totals SET unrevoked = unrevoked - 1 WHERE id = 1;
    UPDATE scope_key_counts SET keys = keys - 1 WHERE scope = ANY(OLD.scopes);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.revoked_at IS NULL THEN
    UPDATE key_totals SET unrevoked = unrevoked + 1 WHERE id = 1;
    INSERT INTO scope_key_counts (scope, keys)
    SELECT DISTINCT s, 1 FROM unnest(NEW.scopes) AS s
    ON CONFLICT (scope) DO UPDATE SET keys = scope_key_counts.keys + 1;
  END IF;
  RETURN NULL;
END $$;

-- Only the columns the counts depend on: last_used_at, written by every usage flush, does not fire it.
CREATE TRIGGER "api_keys_key_counts" AFTER INSERT OR DELETE OR UPDATE OF "revoked_at", "scopes" ON "api_keys"
FOR EACH ROW EXECUTE FUNCTION key_counts_track();

SELECT key_counts_refresh();

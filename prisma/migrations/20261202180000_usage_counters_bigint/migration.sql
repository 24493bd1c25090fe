-- Derived usage counters that a real workload can carry past an integer (2,147,483,647) become
-- bigints. The flush adds to them in the statement that writes the raw rows, so one sum past the
-- limit failed the whole flush with "integer out of range"; the recorder kept the batch and
-- retried it forever, and from then on no usage of any key was written and the buffer dropped
-- events. The arithmetic, per row (a use costs 1 to 1,000 credits):
--   usage_key_days.credits       one key, one day:  25 uses a second at 1,000 credits.
--   usage_key_hours.credits      one key, one hour: 600 uses a second at 1,000 credits.
--   usage_key_days.requests      one key, one day:  25,000 requests a second, several instances
--                                on one database; the key "" row takes every refused request of
--                                an outcome, refused without a lookup, so a flood reaches it first.
--   usage_key_addresses.requests one key and address, one day: the same 25,000 a second;
--            and .denied         at most its row's requests (a key hammered while rate limited).
-- Left as integers: the hourly counts (requests, status_4xx, status_5xx and the latency histogram
-- buckets of usage_hours, usage_key_hours and usage_path_hours, usage_invalid_addresses.attempts)
-- need 596,523 requests a second for a whole hour, all of them in one row, which is more than
-- one PostgreSQL takes in raw rows; usage_rollups.count, one key's minute, needs 35.8 million a
-- second. usage_path_days.requests is a bigint already (20261202170000).
-- Each table is rewritten once, its indexes with it: usage_key_days (day, outcome, requests DESC)
-- orders bigints the same way.

-- AlterTable
ALTER TABLE "usage_key_days" ALTER COLUMN "requests" SET DATA TYPE BIGINT,
ALTER COLUMN "credits" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "usage_key_hours" ALTER COLUMN "credits" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "usage_key_addresses" ALTER COLUMN "requests" SET DATA TYPE BIGINT,
ALTER COLUMN "denied" SET DATA TYPE BIGINT;

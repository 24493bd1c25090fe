-- "Used from" shows a key's 100 most recently seen addresses of the last 30 days. Grouping every
-- row of the key first read the scale bench's busiest key's 130,000 rows (one per address and
-- day, scattered over 80,000 pages: 0.6-1.1 s); in this order the 100 are among the first few
-- thousand entries, read without the table (lib/usage/key-addresses.ts).
CREATE INDEX "usage_key_addresses_key_id_last_seen_at_ip_idx" ON "usage_key_addresses"("key_id", "last_seen_at" DESC, "ip");

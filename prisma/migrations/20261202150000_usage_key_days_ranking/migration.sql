-- Each day's busiest keys per outcome, read in order: the shortlist that lets the usage page rank
-- the top keys of a range without summing every key's days (over 1M active keys that took seconds).
CREATE INDEX "usage_key_days_day_outcome_requests_idx" ON "usage_key_days"("day", "outcome", "requests" DESC);

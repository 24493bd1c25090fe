// Every outcome a usage event can have: "valid", or an error code of DESIGN.md section 6.
export const DENIED_OUTCOMES = [
  "missing_key",
  "invalid_key",
  "expired_key",
  "revoked_key",
  "insufficient_scope",
  "ip_not_allowed",
  "rate_limited",
  "quota_exceeded",
  "key_in_query",
  "ambiguous_key",
  "unavailable",
] as const;

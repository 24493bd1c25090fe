import { verifyKeyRequest, verifyKeyResponse, whoamiResponse } from "../../keys/verify-schemas";
import { defineRoute } from "./route-contract";

// Verifying keys: the caller's own (whoami) and other services' (verify).

export const whoami = defineRoute({
  method: "GET",
  path: "/api/v1/whoami",
  operationId: "whoami",
  summary: "The calling key's identity",
  tag: "keys",
  scopes: [],
  success: { status: 200, schema: whoamiResponse, description: "The key that made the request." },
});

export const verifyKey = defineRoute({
  method: "POST",
  path: "/api/v1/keys/verify",
  operationId: "verifyKey",
  summary: "Verify a key for another service",
  description:
    "An invalid key is not an error here: the answer is 200 `{valid: false, code}` with a code from the error contract. " +
    "The verification counts against the verified key's rate limit and quota and is a usage event of that key. " +
    "`cost` (1 to 1000, default 1) is what it spends from the quota: more than `remaining` is `quota_exceeded` and spends nothing. " +
    "`ip` is the address the key was presented from, checked against the key's `ipAllowlist`; a key with an allowlist " +
    'verified without `ip` is `{valid: false, code: "ip_not_allowed"}`.',
  tag: "verification",
  scopes: ["keys:verify"],
  body: { schema: verifyKeyRequest },
  success: { status: 200, schema: verifyKeyResponse, description: "Whether the key is valid for the scopes asked for." },
});

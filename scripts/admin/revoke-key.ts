// `revoke-key`: revokes one key named by its id, its start, or (during an incident) the whole key.
import type { Db } from "../../lib/db/client";
import { isId } from "../../lib/db/ids";
import { ApiError } from "../../lib/errors/api-error";
import { findKeyIdByKey, findUnrevokedKeyIdsByStart } from "../../lib/keys/find-keys";
import { KEY_PATTERN, KEY_START_PATTERN } from "../../lib/keys/format";
import { presentKey } from "../../lib/keys/present-key";
import { keyRecord } from "../../lib/keys/schemas";
import { getKey, revokeKey } from "../../lib/keys/service";
import { UsageError } from "../cli/run-command";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { clean } from "./text";

export const revokeKeyCommand: Command = {
  name: "revoke-key",
  usage: "revoke-key <id|start> [--reason R] [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, { reason: { type: "string" } });
    if (values.help) return commandUsage(this);
    const target = positionals[0].trim();
    const reason = values.reason?.trim() || null;
    if (reason !== null && reason.length > 500) throw new UsageError("--reason must be at most 500 characters.");
    if (!isId("key", target) && !KEY_START_PATTERN.test(target) && !KEY_PATTERN.test(target)) {
      throw new UsageError("revoke-key needs a key id (key_...) or a key start such as kh_live_a1B2.");
    }
    return {
      async run(db) {
        const id = await resolveKeyId(db, target);
        const before = await getKey(db, id);
        const record = await revokeKey(db, id, reason, CLI_ACTOR);
        if (values.json) return { json: keyRecord.parse(presentKey(record)) };
        if (before?.revokedAt) {
          return {
            text: `Key ${record.id} (${record.start}..., "${clean(record.name)}") was revoked already on ${before.revokedAt.toISOString()}; nothing changed.`,
          };
        }
        return { text: `Revoked key ${record.id} (${record.start}..., "${clean(record.name)}").` };
      },
    };
  },
};

async function resolveKeyId(db: Db, target: string): Promise<string> {
  if (isId("key", target)) return target;
  // A whole key, pasted during an incident: found by its hash, and never echoed back.
  if (KEY_PATTERN.test(target)) {
    const found = await findKeyIdByKey(db, target);
    if (!found) throw new ApiError("not_found", "No key matches the key given (check it was copied whole).");
    return found;
  }
  const candidates = await findUnrevokedKeyIdsByStart(db, target, 20);
  if (candidates.length === 0) throw new ApiError("not_found", `No key that is not revoked starts with ${target}.`);
  if (candidates.length > 1) {
    throw new UsageError(`${target} matches ${candidates.length} keys that are not revoked: ${candidates.join(", ")}; revoke one by its id.`);
  }
  return candidates[0];
}

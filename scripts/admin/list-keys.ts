// `list-keys`: every key matching the filters, all pages in one.
import type { ApiKey } from "../../lib/db/generated/client";
import { KEY_STATUSES, type KeyStatus } from "../../lib/keys/key-status";
import { listKeys } from "../../lib/keys/list-keys";
import { presentKey } from "../../lib/keys/present-key";
import { listKeysResponse } from "../../lib/keys/schemas";
import { UsageError } from "../cli/run-command";
import { commandUsage, parseCommand, type Command } from "./command";
import { formatTable, quote } from "./text";

export const listKeysCommand: Command = {
  name: "list-keys",
  usage: "list-keys [--owner O] [--status active|expired|revoked] [--json]",
  async parse(argv) {
    const { values } = parseCommand(this, argv, 0, { owner: { type: "string" }, status: { type: "string" } });
    if (values.help) return commandUsage(this);
    const status = values.status;
    if (status !== undefined && !(KEY_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be active, expired or revoked, not ${quote(status)}.`);
    }
    return {
      async run(db) {
        const records: ApiKey[] = [];
        let cursor: string | undefined;
        do {
          const page = await listKeys(db, { ownerId: values.owner, status: status as KeyStatus | undefined, cursor, limit: 100 });
          records.push(...page.data);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const now = Date.now();
        const data = records.map((record) => presentKey(record, now));
        // The API's list shape with every page in one: scripts parse both the same way.
        if (values.json) return { json: listKeysResponse.parse({ data, nextCursor: null }) };
        if (data.length === 0) return { text: "No keys." };
        const rows = data.map((key) => [
          key.id,
          key.start,
          key.name,
          key.environment,
          key.status,
          key.ownerId ?? "-",
          key.scopes.join(",") || "-",
          key.expiresAt ?? "never",
          key.createdAt,
        ]);
        const table = formatTable(["ID", "START", "NAME", "ENV", "STATUS", "OWNER", "SCOPES", "EXPIRES", "CREATED"], rows);
        return { text: `${table}\n${data.length} key${data.length === 1 ? "" : "s"}.` };
      },
    };
  },
};

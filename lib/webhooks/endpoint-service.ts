import type { Actor } from "../access/actor";
import { can } from "../access/permissions";
import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import type { WebhookEndpoint } from "../db/generated/client";
import { isId, newId } from "../db/ids";
import { ApiError } from "../errors/api-error";
import { failPendingDeliveries } from "./fail-pending-deliveries";
import { createWebhookRequest, webhookEndpoint, type CreateWebhookInput, type WebhookChanges, type WebhookEndpointJson } from "./schemas";
import { generateWebhookSecret } from "./secret-box";
import { checkWebhookUrl } from "./ssrf-guard";
import type { WebhookConfig } from "./webhook-config";

// Webhook endpoints (DESIGN.md section 15.5): the only code that writes webhook_endpoints,
// shared by the API, the dashboard and the CLI. Authorized and audited here, in the same
// transaction as the change. The plaintext secret leaves only in the create and roll answers.

export const MAX_ENDPOINTS = 100;

export function assertCanManageWebhooks(actor: Actor): void {
  const allowed = actor.type === "key" ? actor.scopes.includes("webhooks:write") : can(actor, "manageWebhooks");
  if (!allowed) {
    throw new ApiError("insufficient_scope", "Managing webhooks needs an OWNER or ADMIN, or a key with webhooks:write.", {
      details: { required: ["webhooks:write"] },
    });
  }
}

export function presentWebhook(record: WebhookEndpoint): WebhookEndpointJson {
  return webhookEndpoint.parse({
    id: record.id,
    url: record.url,
    description: record.description,
    events: record.events,
    enabled: record.enabled,
    createdAt: record.createdAt.toISOString(),
    disabledReason: record.disabledReason,
  });
}

export async function createWebhookEndpoint(
  db: Db,
  input: CreateWebhookInput,
  actor: Actor,
  config: WebhookConfig,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  assertCanManageWebhooks(actor);
  const parsed = createWebhookRequest.safeParse(input);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({ path: issue.path.join("."), code: issue.code, message: issue.message }));
    throw new ApiError("bad_request", `Invalid field: ${[...new Set(details.map((detail) => detail.path))].join(", ")}.`, { details });
  }
  const body = parsed.data;
  const url = await checkWebhookUrl(body.url, config.allowPrivate);
  const secret = generateWebhookSecret();
  const endpoint = await db.$transaction(async (tx) => {
    // Counted under a lock on the table's rows' writer: two creates at the cap cannot both pass.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('keyhold.webhook_endpoints'))`;
    if ((await tx.webhookEndpoint.count()) >= MAX_ENDPOINTS) {
      throw new ApiError("bad_request", `At most ${MAX_ENDPOINTS} webhook endpoints; delete one first.`, {
        details: [{ path: "(body)", message: `at most ${MAX_ENDPOINTS} webhook endpoints` }],
      });
    }
    const created = await tx.webhookEndpoint.create({
      data: { id: newId("whk"), url, description: body.description, events: body.events, enabled: body.enabled, secretEncrypted: config.secrets.seal(secret) },
    });
    await writeAudit(tx, {
      actor,
      action: "webhook.create",
      targetType: "webhook",
      targetId: created.id,
      data: { url, events: body.events, enabled: body.enabled },
    });
    return created;
  });
  return { endpoint, secret };
}

export function listWebhookEndpoints(db: Db): Promise<WebhookEndpoint[]> {
  return db.webhookEndpoint.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: MAX_ENDPOINTS });
}

export async function getWebhookEndpoint(db: Db, id: string): Promise<WebhookEndpoint> {
  const record = isId("whk", id) ? await db.webhookEndpoint.findUnique({ where: { id } }) : null;
  if (!record) throw new ApiError("not_found", "No webhook endpoint with this id.");
  return record;
}

export async function updateWebhookEndpoint(db: Db, id: string, changes: WebhookChanges, actor: Actor, config: WebhookConfig): Promise<WebhookEndpoint> {
  assertCanManageWebhooks(actor);
  const url = changes.url === undefined ? undefined : await checkWebhookUrl(changes.url, config.allowPrivate);
  return db.$transaction(async (tx) => {
    const existing = await lockEndpoint(tx, id);
    const enabling = changes.enabled === true && !existing.enabled;
    const disabling = changes.enabled === false && existing.enabled;
    const updated = await tx.webhookEndpoint.update({
      where: { id },
      data: {
        url,
        description: changes.description,
        events: changes.events,
        enabled: changes.enabled,
        // A fresh start: 24 more hours before an automatic disable, and no stale notice.
        ...(enabling ? { disabledReason: null, failingSince: null } : {}),
        ...(disabling ? { disabledReason: "Disabled by a person." } : {}),
      },
    });
    if (disabling) await failPendingDeliveries(tx, id);
    const changed = Object.fromEntries(
      Object.entries({ url, description: changes.description, events: changes.events, enabled: changes.enabled }).filter(([, value]) => value !== undefined),
    );
    await writeAudit(tx, { actor, action: "webhook.update", targetType: "webhook", targetId: id, data: { changes: changed } });
    return updated;
  });
}

export async function deleteWebhookEndpoint(db: Db, id: string, actor: Actor): Promise<void> {
  assertCanManageWebhooks(actor);
  await db.$transaction(async (tx) => {
    const existing = await lockEndpoint(tx, id);
    await tx.webhookEndpoint.delete({ where: { id } });
    await writeAudit(tx, { actor, action: "webhook.delete", targetType: "webhook", targetId: id, data: { url: existing.url } });
  });
}

/** A new secret at once; deliveries already queued are signed with it from their next attempt. */
export async function rollWebhookSecret(db: Db, id: string, actor: Actor, config: WebhookConfig): Promise<string> {
  assertCanManageWebhooks(actor);
  const secret = generateWebhookSecret();
  await db.$transaction(async (tx) => {
    await lockEndpoint(tx, id);
    await tx.webhookEndpoint.update({ where: { id }, data: { secretEncrypted: config.secrets.seal(secret) } });
    await writeAudit(tx, { actor, action: "webhook.roll_secret", targetType: "webhook", targetId: id });
  });
  return secret;
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

async function lockEndpoint(tx: Tx, id: string): Promise<WebhookEndpoint> {
  if (isId("whk", id)) {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM webhook_endpoints WHERE id = ${id} FOR UPDATE`;
    if (locked.length > 0) return tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
  }
  throw new ApiError("not_found", "No webhook endpoint with this id.");
}

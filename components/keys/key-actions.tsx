"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";

import { revokeKeyAction, rotateKeyAction, updateKeyAction } from "@/lib/actions/keys";
import { isKeyMeta } from "@/lib/keys/key-meta";

import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { Field, Input, Select, Textarea } from "../ui/field";
import { useActionForm, type FieldErrors } from "../ui/use-action-form";
import { KeyReveal } from "./key-reveal";
import { AllowlistField, readAllowlist, readRefill, REFILL_INCOMPLETE, RefillField, type RefillValue } from "./policy-fields";

export interface EditableKey {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  ratelimit: { limit: number; windowMs: number } | null;
  remaining: number | null;
  refill: RefillValue;
  ipAllowlist: string[];
  meta: Record<string, unknown>;
  revoked: boolean;
}

const GRACE: Record<string, number> = { none: 0, "1h": 3600, "24h": 86_400, "7d": 604_800 };

export function KeyActions({ apiKey, scopeNames }: { apiKey: EditableKey; scopeNames: string[] }) {
  const [open, setOpen] = useState<"edit" | "rotate" | "revoke" | null>(null);
  const close = () => setOpen(null);
  return (
    <div className="flex flex-wrap gap-2">
      <Button variant="secondary" onClick={() => setOpen("edit")}>
        Edit
      </Button>
      {!apiKey.revoked && (
        <>
          <Button variant="secondary" onClick={() => setOpen("rotate")}>
            Rotate
          </Button>
          <Button variant="danger" onClick={() => setOpen("revoke")}>
            Revoke
          </Button>
        </>
      )}
      <Dialog open={open === "edit"} onClose={close} title={`Edit ${apiKey.name}`}>
        <EditForm apiKey={apiKey} scopeNames={scopeNames} onDone={close} />
      </Dialog>
      <Dialog open={open === "rotate"} onClose={close} title={`Rotate ${apiKey.name}`}>
        <RotateForm apiKey={apiKey} onCancel={close} />
      </Dialog>
      <Dialog open={open === "revoke"} onClose={close} title={`Revoke ${apiKey.name}`}>
        <RevokeForm apiKey={apiKey} onDone={close} />
      </Dialog>
    </div>
  );
}

function EditForm({ apiKey, scopeNames, onDone }: { apiKey: EditableKey; scopeNames: string[]; onDone: () => void }) {
  const router = useRouter();
  const [meta, setMeta] = useState(JSON.stringify(apiKey.meta, null, 2));
  let metaError: string | null = null;
  try {
    const parsed: unknown = JSON.parse(meta);
    if (!isKeyMeta(parsed)) metaError = "Must be a JSON object.";
  } catch {
    metaError = "Not valid JSON.";
  }

  const { pending, errors, onSubmit } = useActionForm({
    check: (form): FieldErrors | null => {
      if (metaError) return { meta: metaError };
      if (readRefill(form) === "invalid") return { refill: REFILL_INCOMPLETE };
      return null;
    },
    send: (form) => {
      const limit = String(form.get("limit") ?? "");
      const windowSeconds = String(form.get("windowSeconds") ?? "");
      const remaining = String(form.get("remaining") ?? "");
      const expires = String(form.get("expiresAt") ?? "");
      const refill = readRefill(form) as RefillValue;
      const changes: Record<string, unknown> = {
        name: String(form.get("name") ?? ""),
        scopes: form.getAll("scopes").map(String),
        expiresAt: expires ? new Date(`${expires}:00Z`).toISOString() : null,
        ratelimit: limit || windowSeconds ? { limit: Number(limit), windowMs: Number(windowSeconds) * 1000 } : null,
        ipAllowlist: readAllowlist(form),
        meta: JSON.parse(meta),
      };
      // Sent only when changed: setting the quota sets it anew, voiding credits instances have
      // leased and counting as this period's refill (DESIGN.md section 15.3).
      const quota = remaining === "" ? null : Number(remaining);
      if (quota !== apiKey.remaining) changes.remaining = quota;
      if (JSON.stringify(refill) !== JSON.stringify(apiKey.refill)) changes.refill = refill;
      return updateKeyAction(apiKey.id, changes);
    },
    done: () => {
      toast.success("Key updated");
      onDone();
      router.refresh();
    },
  });

  const allScopes = [...new Set([...scopeNames, ...apiKey.scopes])].sort();
  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3">
      <Field label="Name" htmlFor="edit-name" error={errors.name}>
        <Input id="edit-name" name="name" defaultValue={apiKey.name} required maxLength={200} />
      </Field>
      <fieldset>
        <legend className="text-sm font-medium">Scopes</legend>
        <div className="mt-1 grid max-h-40 gap-1 overflow-y-auto sm:grid-cols-2">
          {allScopes.map((scope) => (
            <label key={scope} className="flex items-center gap-2 font-mono text-xs">
              <input type="checkbox" name="scopes" value={scope} defaultChecked={apiKey.scopes.includes(scope)} />
              {scope}
            </label>
          ))}
        </div>
      </fieldset>
      <Field label="Expires (UTC)" htmlFor="edit-expires" hint="Empty: never." error={errors.expiresAt}>
        <Input id="edit-expires" name="expiresAt" type="datetime-local" defaultValue={apiKey.expiresAt?.slice(0, 16) ?? ""} />
      </Field>
      <Field label="Rate limit" htmlFor="edit-limit" hint="Empty: no limit." error={errors["ratelimit.limit"] ?? errors["ratelimit.windowMs"]}>
        <div className="flex items-center gap-2">
          <Input id="edit-limit" name="limit" type="number" min={1} defaultValue={apiKey.ratelimit?.limit ?? ""} />
          <span className="text-sm">per</span>
          <Input
            name="windowSeconds"
            type="number"
            min={1}
            defaultValue={apiKey.ratelimit ? apiKey.ratelimit.windowMs / 1000 : ""}
            aria-label="Rate limit window, in seconds"
          />
          <span className="text-sm">s</span>
        </div>
      </Field>
      <Field label="Quota left" htmlFor="edit-remaining" hint="Empty: unlimited." error={errors.remaining}>
        <Input id="edit-remaining" name="remaining" type="number" min={0} defaultValue={apiKey.remaining ?? ""} />
      </Field>
      <RefillField id="edit-refill" defaultValue={apiKey.refill} errors={errors} />
      <AllowlistField id="edit-allowlist" defaultValue={apiKey.ipAllowlist} errors={errors} />
      <Field label="Metadata (JSON object)" htmlFor="edit-meta" error={metaError ?? errors.meta}>
        <Textarea id="edit-meta" rows={4} value={meta} onChange={(event) => setMeta(event.target.value)} />
      </Field>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={pending || Boolean(metaError)}>
          {pending ? "Saving…" : "Save"}
        </Button>
      </div>
    </form>
  );
}

function RotateForm({ apiKey, onCancel }: { apiKey: EditableKey; onCancel: () => void }) {
  const router = useRouter();
  const [grace, setGrace] = useState("none");
  const [rotated, setRotated] = useState<{ id: string; key: string } | null>(null);
  const { pending, errors, onSubmit } = useActionForm({
    send: (form) => {
      const seconds = grace === "custom" ? Math.round(Number(form.get("customHours") ?? 0) * 3600) : GRACE[grace]!;
      return rotateKeyAction(apiKey.id, { gracePeriodSeconds: seconds });
    },
    done: (next) => {
      toast.success("Key rotated");
      setRotated(next);
      router.refresh();
    },
  });

  if (rotated) return <KeyReveal apiKey={rotated.key} keyId={rotated.id} />;
  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3">
      <p className="text-sm text-zinc-700">A new key with the same settings is created. The current key keeps working until the grace period ends.</p>
      <Field label="Grace period" htmlFor="grace">
        <Select id="grace" value={grace} onChange={(event) => setGrace(event.target.value)}>
          <option value="none">None: the current key stops now</option>
          <option value="1h">1 hour</option>
          <option value="24h">24 hours</option>
          <option value="7d">7 days</option>
          <option value="custom">Custom…</option>
        </Select>
      </Field>
      {grace === "custom" && (
        <Field label="Hours" htmlFor="custom-hours" hint="Up to 720 hours (30 days)." error={errors.gracePeriodSeconds}>
          <Input id="custom-hours" name="customHours" type="number" min={0} max={720} step="0.25" required />
        </Field>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={pending}>
          {pending ? "Rotating…" : "Rotate key"}
        </Button>
      </div>
    </form>
  );
}

function RevokeForm({ apiKey, onDone }: { apiKey: EditableKey; onDone: () => void }) {
  const router = useRouter();
  const [confirm, setConfirm] = useState("");
  const { pending, errors, onSubmit } = useActionForm({
    send: (form) => revokeKeyAction(apiKey.id, String(form.get("reason") ?? "")),
    done: () => {
      toast.success("Key revoked");
      onDone();
      router.refresh();
    },
  });

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3">
      <p className="text-sm text-zinc-700">Requests with this key are refused at once, on every instance. This cannot be undone.</p>
      <Field label={`Type the key's name (${apiKey.name}) to confirm`} htmlFor="confirm-name">
        <Input id="confirm-name" value={confirm} onChange={(event) => setConfirm(event.target.value)} autoComplete="off" />
      </Field>
      <Field label="Reason (optional)" htmlFor="revoke-reason" error={errors.reason}>
        <Input id="revoke-reason" name="reason" maxLength={500} placeholder="Leaked in a public repository" />
      </Field>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" variant="danger" disabled={pending || confirm !== apiKey.name}>
          {pending ? "Revoking…" : "Revoke key"}
        </Button>
      </div>
    </form>
  );
}

"use client";

import { useState } from "react";
import { toast } from "sonner";

import { createKeyAction } from "@/lib/actions/keys";
import { isKeyMeta } from "@/lib/keys/key-meta";

import { Button } from "../ui/button";
import { Field, Input, Select, Textarea } from "../ui/field";
import { useActionForm, type FieldErrors } from "../ui/use-action-form";
import { KeyReveal } from "./key-reveal";
import { AllowlistField, readAllowlist, readRefill, REFILL_INCOMPLETE, RefillField } from "./policy-fields";

const EXPIRY_DAYS: Record<string, number> = { "30d": 30, "90d": 90, "1y": 365 };

export interface ScopeOption {
  name: string;
  description: string;
}

export function CreateKeyForm({ scopes, managementScopes }: { scopes: ScopeOption[]; managementScopes: ScopeOption[] }) {
  const [expiry, setExpiry] = useState("never");
  const [metaText, setMetaText] = useState("{}");
  const [created, setCreated] = useState<{ id: string; key: string } | null>(null);

  const meta = parseMeta(metaText);

  const { pending, errors, onSubmit } = useActionForm({
    check: (form): FieldErrors | null => {
      if (meta.error) return { meta: meta.error };
      if (expiryDate(expiry, String(form.get("expiresOn") ?? "")) === "invalid") return { expiresAt: "Pick a date in the future." };
      if (readRefill(form) === "invalid") return { refill: REFILL_INCOMPLETE };
      return null;
    },
    send: (form) => {
      const body: Record<string, unknown> = {
        name: String(form.get("name") ?? ""),
        environment: String(form.get("environment") ?? "live"),
        scopes: form.getAll("scopes").map(String),
        meta: meta.value,
      };
      const owner = String(form.get("ownerId") ?? "").trim();
      if (owner) body.ownerId = owner;
      const expiresAt = expiryDate(expiry, String(form.get("expiresOn") ?? ""));
      if (expiresAt) body.expiresAt = expiresAt;
      const limit = String(form.get("limit") ?? "");
      const windowSeconds = String(form.get("windowSeconds") ?? "");
      if (limit || windowSeconds) body.ratelimit = { limit: Number(limit), windowMs: Number(windowSeconds) * 1000 };
      const remaining = String(form.get("remaining") ?? "");
      if (remaining) body.remaining = Number(remaining);
      const refill = readRefill(form);
      if (refill) body.refill = refill;
      body.ipAllowlist = readAllowlist(form);
      return createKeyAction(body);
    },
    done: (key) => {
      toast.success("Key created");
      setCreated(key);
    },
  });

  if (created) return <KeyReveal apiKey={created.key} keyId={created.id} />;

  return (
    <form onSubmit={onSubmit} className="grid max-w-3xl grid-cols-1 gap-4 rounded-lg border border-zinc-200 bg-white p-5 md:grid-cols-2">
      <Field label="Name" htmlFor="name" error={errors.name}>
        <Input id="name" name="name" required maxLength={200} aria-invalid={Boolean(errors.name)} placeholder="Billing service" />
      </Field>
      <Field label="Owner" htmlFor="ownerId" hint="Who the key belongs to: a customer or team id (optional)." error={errors.ownerId}>
        <Input id="ownerId" name="ownerId" maxLength={200} placeholder="cus_123" />
      </Field>
      <Field label="Environment" htmlFor="environment">
        <Select id="environment" name="environment" defaultValue="live">
          <option value="live">live</option>
          <option value="test">test</option>
        </Select>
      </Field>
      <Field label="Expires" htmlFor="expiry" error={errors.expiresAt}>
        <div className="flex gap-2">
          <Select id="expiry" value={expiry} onChange={(event) => setExpiry(event.target.value)}>
            <option value="never">Never</option>
            <option value="30d">In 30 days</option>
            <option value="90d">In 90 days</option>
            <option value="1y">In 1 year</option>
            <option value="date">On a date…</option>
          </Select>
          {expiry === "date" && <Input type="date" name="expiresOn" aria-label="Expiry date" required />}
        </div>
      </Field>
      <fieldset className="md:col-span-2">
        <legend className="text-sm font-medium text-zinc-800">Scopes</legend>
        {scopes.length === 0 ? (
          <p className="text-xs text-zinc-600">The catalogue is empty: add scopes on the Scopes page.</p>
        ) : (
          <ScopeChoices scopes={scopes} />
        )}
        {/* Apart from the catalogue: one of these makes a root key that can manage other keys. */}
        <fieldset className="mt-3">
          <legend className="text-xs font-medium text-zinc-700">Management (makes this a root key)</legend>
          <ScopeChoices scopes={managementScopes} />
        </fieldset>
        {errors.scopes && <p className="text-xs text-red-700">{errors.scopes}</p>}
      </fieldset>
      <Field
        label="Rate limit"
        htmlFor="limit"
        hint="Requests per window; leave empty for no limit."
        error={errors["ratelimit.limit"] ?? errors["ratelimit.windowMs"] ?? errors.ratelimit}
      >
        <div className="flex items-center gap-2">
          <Input id="limit" name="limit" type="number" min={1} placeholder="100" />
          <span className="text-sm text-zinc-600">per</span>
          <Input name="windowSeconds" type="number" min={1} placeholder="60" aria-label="Rate limit window, in seconds" />
          <span className="text-sm text-zinc-600">s</span>
        </div>
      </Field>
      <Field
        label="Quota"
        htmlFor="remaining"
        hint="Uses before the key stops working; empty for unlimited (or the refill amount with a refill)."
        error={errors.remaining}
      >
        <Input id="remaining" name="remaining" type="number" min={0} placeholder="10000" />
      </Field>
      <RefillField id="refill" defaultValue={null} errors={errors} />
      <AllowlistField id="ipAllowlist" defaultValue={[]} errors={errors} />
      <Field label="Metadata (JSON object)" htmlFor="meta" error={meta.error ?? errors.meta}>
        <Textarea id="meta" rows={3} value={metaText} onChange={(event) => setMetaText(event.target.value)} aria-invalid={Boolean(meta.error)} />
      </Field>
      <div className="flex items-end md:col-span-2">
        <Button type="submit" disabled={pending || Boolean(meta.error)}>
          {pending ? "Creating…" : "Create key"}
        </Button>
      </div>
    </form>
  );
}

function ScopeChoices({ scopes }: { scopes: ScopeOption[] }) {
  return (
    <div className="mt-1 grid gap-1 sm:grid-cols-2">
      {scopes.map((scope) => (
        <label key={scope.name} className="flex items-start gap-2 text-sm">
          <input type="checkbox" name="scopes" value={scope.name} className="mt-1" />
          <span>
            <span className="font-mono text-xs">{scope.name}</span>
            {scope.description && <span className="block text-xs text-zinc-600">{scope.description}</span>}
          </span>
        </label>
      ))}
    </div>
  );
}

function parseMeta(text: string): { value?: Record<string, unknown>; error?: string } {
  if (text.trim() === "") return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (!isKeyMeta(value)) return { error: 'Must be a JSON object, like {"plan": "pro"}.' };
    return { value };
  } catch {
    return { error: "Not valid JSON." };
  }
}

function expiryDate(choice: string, date: string): string | null | "invalid" {
  if (choice === "never") return null;
  if (choice === "date") {
    const at = new Date(`${date}T00:00:00Z`);
    return Number.isNaN(at.getTime()) || at.getTime() <= Date.now() ? "invalid" : at.toISOString();
  }
  return new Date(Date.now() + EXPIRY_DAYS[choice]! * 86_400_000).toISOString();
}

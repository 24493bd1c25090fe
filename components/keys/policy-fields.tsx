"use client";

import { Field, Input, Select, Textarea } from "../ui/field";
import type { FieldErrors } from "../ui/use-action-form";

// The refill and IP allowlist inputs of the create and edit forms (DESIGN.md sections 15.3 and
// 15.4), and how their values become the request body. The server validates and normalises;
// these only shape what was typed.

export type RefillValue = { interval: "daily" | "monthly"; amount: number } | null;

export function RefillField({ id, defaultValue, errors }: { id: string; defaultValue: RefillValue; errors: FieldErrors }) {
  return (
    <Field
      label="Refill"
      htmlFor={id}
      hint="Sets the quota back to this many uses at the first use of each UTC day or month."
      error={errorFor(errors, "refill")}
    >
      <div className="flex items-center gap-2">
        <Input id={id} name="refillAmount" type="number" min={1} placeholder="1000" defaultValue={defaultValue?.amount ?? ""} aria-label="Refill amount" />
        <Select name="refillInterval" defaultValue={defaultValue?.interval ?? ""} aria-label="Refill interval">
          <option value="">never</option>
          <option value="daily">daily</option>
          <option value="monthly">monthly</option>
        </Select>
      </div>
    </Field>
  );
}

export function AllowlistField({ id, defaultValue, errors }: { id: string; defaultValue: string[]; errors: FieldErrors }) {
  return (
    <Field
      label="IP allowlist"
      htmlFor={id}
      hint="Addresses or CIDR ranges, one per line, up to 100; empty allows any address."
      error={errorFor(errors, "ipAllowlist")}
    >
      <Textarea id={id} name="ipAllowlist" rows={3} defaultValue={defaultValue.join("\n")} placeholder={"203.0.113.0/24\n2001:db8::/32"} />
    </Field>
  );
}

/** The refill as typed: null for none, "invalid" when only half of it was filled in. */
export function readRefill(form: FormData): RefillValue | "invalid" {
  const interval = String(form.get("refillInterval") ?? "");
  const amount = String(form.get("refillAmount") ?? "").trim();
  if (interval === "" && amount === "") return null;
  if ((interval !== "daily" && interval !== "monthly") || amount === "") return "invalid";
  return { interval, amount: Number(amount) };
}

export const REFILL_INCOMPLETE = "Give both how many uses and how often, or neither.";

export function readAllowlist(form: FormData): string[] {
  return String(form.get("ipAllowlist") ?? "")
    .split(/[\s,]+/)
    .filter(Boolean);
}

// The server names a bad entry by its position (ipAllowlist.3); the message says which one.
function errorFor(errors: FieldErrors, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const entry = Object.entries(errors).find(([name]) => name.startsWith(`${field}.`));
  if (!entry) return undefined;
  const [name, message] = entry;
  const index = Number(name.slice(field.length + 1));
  return Number.isInteger(index) ? `Entry ${index + 1}: ${message}` : message;
}

"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { createWebhookAction } from "@/lib/actions/webhooks";

import { Button, buttonClass } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { Field, Input } from "../ui/field";
import { useActionForm } from "../ui/use-action-form";
import { SecretReveal } from "./secret-reveal";

export function AddWebhookButton({ eventTypes }: { eventTypes: string[] }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const close = () => {
    setOpen(false);
    setCreated(null);
    router.refresh();
  };
  const { pending, errors, onSubmit } = useActionForm({
    check: (form) => (form.getAll("events").length === 0 ? { events: "Pick at least one event." } : null),
    send: (form) =>
      createWebhookAction({
        url: String(form.get("url") ?? ""),
        description: String(form.get("description") ?? ""),
        events: form.getAll("events").map(String),
      }),
    done: (endpoint) => setCreated({ id: endpoint.id, secret: endpoint.secret }),
  });

  return (
    <>
      <Button onClick={() => setOpen(true)}>Add endpoint</Button>
      <Dialog open={open} onClose={close} title={created ? "Endpoint added" : "Add a webhook endpoint"}>
        {created ? (
          <div className="flex flex-col gap-3">
            <SecretReveal secret={created.secret} />
            <div className="flex justify-end gap-2">
              <Link href={`/webhooks/${created.id}`} className={buttonClass("secondary")}>
                Open endpoint
              </Link>
              <Button onClick={close}>Done</Button>
            </div>
          </div>
        ) : (
          <form onSubmit={onSubmit} className="flex flex-col gap-3">
            <Field label="URL" htmlFor="webhook-url" hint="https, reachable from the internet" error={errors.url}>
              <Input id="webhook-url" name="url" type="url" required maxLength={2000} placeholder="https://example.com/keyhold-events" />
            </Field>
            <Field label="Description" htmlFor="webhook-description" error={errors.description}>
              <Input id="webhook-description" name="description" maxLength={500} placeholder="Alerts channel" />
            </Field>
            <fieldset className="flex flex-col gap-1">
              <legend className="mb-1 text-sm font-medium">Events</legend>
              {eventTypes.map((type) => (
                <label key={type} className="flex items-center gap-2 font-mono text-xs">
                  <input type="checkbox" name="events" value={type} defaultChecked />
                  {type}
                </label>
              ))}
              {(errors.events || errors["events.0"]) && <p className="text-sm text-red-800">{errors.events ?? errors["events.0"]}</p>}
            </fieldset>
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" disabled={pending}>
                {pending ? "Adding…" : "Add endpoint"}
              </Button>
            </div>
          </form>
        )}
      </Dialog>
    </>
  );
}

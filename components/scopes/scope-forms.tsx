"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";

import { createScopeAction, updateScopeAction } from "@/lib/actions/scopes";

import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { Field, Input } from "../ui/field";
import { useActionForm } from "../ui/use-action-form";

export function AddScopeButton() {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const { pending, errors, onSubmit } = useActionForm({
    send: (form) => createScopeAction({ name: String(form.get("name") ?? ""), description: String(form.get("description") ?? "") }),
    done: (scope) => {
      toast.success(`Scope ${scope.name} added`);
      setOpen(false);
      router.refresh();
    },
  });

  return (
    <>
      <Button onClick={() => setOpen(true)}>Add scope</Button>
      <Dialog open={open} onClose={() => setOpen(false)} title="Add a scope">
        <form onSubmit={onSubmit} className="flex flex-col gap-3">
          <Field label="Name" htmlFor="scope-name" hint="resource:action in lowercase, e.g. orders:read" error={errors.name}>
            <Input id="scope-name" name="name" required pattern="[a-z][a-z0-9_\-]*(:[a-z][a-z0-9_\-]*)+" placeholder="orders:read" />
          </Field>
          <Field label="Description" htmlFor="scope-description" error={errors.description}>
            <Input id="scope-description" name="description" maxLength={500} placeholder="Read orders" />
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending}>
              {pending ? "Adding…" : "Add scope"}
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

export function EditScopeButton({ id, name, description }: { id: string; name: string; description: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const { pending, errors, onSubmit } = useActionForm({
    send: (form) => updateScopeAction(id, { description: String(form.get("description") ?? "") }),
    done: () => {
      toast.success("Scope updated");
      setOpen(false);
      router.refresh();
    },
  });

  return (
    <>
      <Button variant="ghost" onClick={() => setOpen(true)} aria-label={`Edit ${name}`}>
        Edit
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title={`Edit ${name}`}>
        <form onSubmit={onSubmit} className="flex flex-col gap-3">
          <Field label="Description" htmlFor={`description-${id}`} error={errors.description}>
            <Input id={`description-${id}`} name="description" defaultValue={description} maxLength={500} />
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending}>
              {pending ? "Saving…" : "Save"}
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

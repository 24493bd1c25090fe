"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { createScopeAction, updateScopeAction } from "@/app/(dashboard)/scopes/actions";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { Field, Input } from "../ui/field";
import { submitWith } from "../ui/form";

export function AddScopeButton() {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);

  async function submit(form: FormData) {
    setPending(true);
    const result = await createScopeAction({ name: String(form.get("name") ?? ""), description: String(form.get("description") ?? "") });
    setPending(false);
    if (!result.ok) {
      setErrors(result.fields ?? {});
      toast.error(result.error);
      return;
    }
    toast.success(`Scope ${result.data.name} added`);
    setOpen(false);
    router.refresh();
  }

  return (
    <>
      <Button onClick={() => setOpen(true)}>Add scope</Button>
      <Dialog open={open} onClose={() => setOpen(false)} title="Add a scope">
        <form onSubmit={submitWith(submit)} className="flex flex-col gap-3">
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
  const [pending, setPending] = useState(false);

  async function submit(form: FormData) {
    setPending(true);
    const result = await updateScopeAction(id, { description: String(form.get("description") ?? "") });
    setPending(false);
    if (!result.ok) {
      toast.error(result.error);
      return;
    }
    toast.success("Scope updated");
    setOpen(false);
    router.refresh();
  }

  return (
    <>
      <Button variant="ghost" onClick={() => setOpen(true)} aria-label={`Edit ${name}`}>
        Edit
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title={`Edit ${name}`}>
        <form onSubmit={submitWith(submit)} className="flex flex-col gap-3">
          <Field label="Description" htmlFor={`description-${id}`}>
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

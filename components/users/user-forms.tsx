"use client";

import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";

import type { Role } from "@/lib/access/roles";
import { changeOwnPasswordAction, changeRoleAction, createUserAction, disableUserAction } from "@/lib/actions/users";

import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { Field, Input, Select } from "../ui/field";
import { useActionForm } from "../ui/use-action-form";

export function AddUserButton() {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const { pending, errors, onSubmit } = useActionForm({
    send: (form) =>
      createUserAction({
        email: String(form.get("email") ?? ""),
        name: String(form.get("name") ?? ""),
        password: String(form.get("password") ?? ""),
        role: String(form.get("role") ?? "VIEWER"),
      }),
    done: (user) => {
      toast.success(`User ${user.email} created`);
      setOpen(false);
      router.refresh();
    },
  });

  return (
    <>
      <Button onClick={() => setOpen(true)}>Add user</Button>
      <Dialog open={open} onClose={() => setOpen(false)} title="Add a user">
        <form onSubmit={onSubmit} className="flex flex-col gap-3">
          <Field label="Email" htmlFor="user-email" error={errors.email}>
            <Input id="user-email" name="email" type="email" required />
          </Field>
          <Field label="Name" htmlFor="user-name" error={errors.name}>
            <Input id="user-name" name="name" required />
          </Field>
          <Field label="Role" htmlFor="user-role">
            <Select id="user-role" name="role" defaultValue="VIEWER">
              <option value="VIEWER">Viewer: reads only</option>
              <option value="ADMIN">Admin: manages keys and scopes</option>
              <option value="OWNER">Owner: everything, manages users</option>
            </Select>
          </Field>
          <Field label="Initial password" htmlFor="user-password" hint="At least 12 characters; they can change it later." error={errors.password}>
            <Input id="user-password" name="password" type="password" minLength={12} autoComplete="new-password" required />
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending}>
              {pending ? "Adding…" : "Add user"}
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

export function RoleSelect({ userId, role, email, self = false }: { userId: string; role: Role; email: string; self?: boolean }) {
  const router = useRouter();
  const [value, setValue] = useState(role);
  const [stepDown, setStepDown] = useState<Role | null>(null);

  async function change(next: Role) {
    setValue(next);
    setStepDown(null);
    const result = await changeRoleAction(userId, next);
    if (!result.ok) {
      setValue(role);
      toast.error(result.error);
      return;
    }
    toast.success(self ? `You are now ${next.toLowerCase()}` : `${email} is now ${next.toLowerCase()}`);
    // Stepping down takes this page away from them: the Users page is for OWNERs only.
    if (self && next !== "OWNER") router.replace("/");
    // Refreshed after the replace too: a client navigation alone keeps the layout, Users link and all.
    router.refresh();
  }

  return (
    <>
      <Select
        aria-label={self ? `Your role (${email})` : `Role of ${email}`}
        value={value}
        // Giving up one's own OWNER role cannot be undone alone, so it asks first.
        onChange={(event) =>
          self && role === "OWNER" && event.target.value !== "OWNER" ? setStepDown(event.target.value as Role) : change(event.target.value as Role)
        }
        className="w-32"
      >
        <option value="OWNER">Owner</option>
        <option value="ADMIN">Admin</option>
        <option value="VIEWER">Viewer</option>
      </Select>
      <Dialog open={stepDown !== null} onClose={() => setStepDown(null)} title={`Step down to ${stepDown?.toLowerCase() ?? ""}?`}>
        <p className="text-sm text-zinc-700">You will no longer manage users. Only another OWNER can make you OWNER again.</p>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setStepDown(null)}>
            Cancel
          </Button>
          <Button variant="danger" onClick={() => stepDown && change(stepDown)}>
            Step down
          </Button>
        </div>
      </Dialog>
    </>
  );
}

export function DisableUserButton({ email, self = false }: { email: string; self?: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const { pending, onSubmit } = useActionForm({
    send: () => disableUserAction(email),
    done: () => {
      toast.success(`${email} disabled`);
      setOpen(false);
      // For themselves this lands on the sign-in page: the next request finds them disabled.
      router.refresh();
    },
  });

  return (
    <>
      <Button variant="ghost" onClick={() => setOpen(true)} aria-label={`Disable ${email}`}>
        Disable
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title={self ? "Disable your own account?" : `Disable ${email}?`}>
        <form onSubmit={onSubmit} className="flex flex-col gap-3">
          <p className="text-sm text-zinc-700">
            {self ? "You are signed out at once and cannot sign in again." : "They are signed out on their next request and cannot sign in again."}
          </p>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" disabled={pending}>
              {pending ? "Disabling…" : "Disable user"}
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

export function ChangePasswordForm() {
  const { pending, errors, onSubmit } = useActionForm({
    check: (form) => (form.get("password") === form.get("confirm") ? null : { confirm: "Does not match the new password." }),
    send: (form) => changeOwnPasswordAction({ current: String(form.get("current") ?? ""), password: String(form.get("password") ?? "") }),
    // The new password ends every session signed in with the old one, this one included.
    done: () => signOut({ callbackUrl: "/login?password=changed" }),
  });

  return (
    <form onSubmit={onSubmit} className="flex max-w-md flex-col gap-3 rounded-lg border border-zinc-200 bg-white p-5">
      <Field label="Current password" htmlFor="current" error={errors.current ?? errors.currentPassword}>
        <Input id="current" name="current" type="password" autoComplete="current-password" required />
      </Field>
      <Field label="New password" htmlFor="new-password" hint="At least 12 characters." error={errors.password ?? errors.newPassword}>
        <Input id="new-password" name="password" type="password" autoComplete="new-password" minLength={12} required />
      </Field>
      <Field label="Repeat the new password" htmlFor="confirm" error={errors.confirm}>
        <Input id="confirm" name="confirm" type="password" autoComplete="new-password" minLength={12} required />
      </Field>
      <div>
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Change password"}
        </Button>
      </div>
    </form>
  );
}

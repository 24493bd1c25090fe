"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";

import { deleteWebhookAction, retryDeliveryAction, rollWebhookSecretAction, updateWebhookAction } from "@/lib/actions/webhooks";

import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { useActionForm } from "../ui/use-action-form";
import { SecretReveal } from "./secret-reveal";

export function EndpointActions({ id, enabled }: { id: string; enabled: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState<"roll" | "delete" | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const close = () => {
    setOpen(null);
    setSecret(null);
  };
  const toggle = useActionForm({
    send: () => updateWebhookAction(id, { enabled: !enabled }),
    done: () => {
      toast.success(enabled ? "Endpoint disabled" : "Endpoint enabled");
      router.refresh();
    },
  });
  const roll = useActionForm({ send: () => rollWebhookSecretAction(id), done: (result) => setSecret(result.secret) });
  const remove = useActionForm({
    send: () => deleteWebhookAction(id),
    done: () => {
      toast.success("Endpoint deleted");
      router.push("/webhooks");
      router.refresh();
    },
  });

  return (
    <div className="flex flex-wrap gap-2">
      <form onSubmit={toggle.onSubmit}>
        <Button type="submit" variant="secondary" disabled={toggle.pending}>
          {enabled ? "Disable" : "Enable"}
        </Button>
      </form>
      <Button variant="secondary" onClick={() => setOpen("roll")}>
        Roll secret
      </Button>
      <Button variant="danger" onClick={() => setOpen("delete")}>
        Delete
      </Button>
      <Dialog open={open === "roll"} onClose={close} title="Roll the signing secret">
        {secret ? (
          <div className="flex flex-col gap-3">
            <SecretReveal secret={secret} />
            <div className="flex justify-end">
              <Button onClick={close}>Done</Button>
            </div>
          </div>
        ) : (
          <form onSubmit={roll.onSubmit} className="flex flex-col gap-3">
            <p className="text-sm">The current secret stops working at once: deliveries from now on are signed with the new one.</p>
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" disabled={roll.pending}>
                {roll.pending ? "Rolling…" : "Roll secret"}
              </Button>
            </div>
          </form>
        )}
      </Dialog>
      <Dialog open={open === "delete"} onClose={close} title="Delete this endpoint">
        <form onSubmit={remove.onSubmit} className="flex flex-col gap-3">
          <p className="text-sm">It gets no further events, and its delivery log goes with it.</p>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" disabled={remove.pending}>
              {remove.pending ? "Deleting…" : "Delete endpoint"}
            </Button>
          </div>
        </form>
      </Dialog>
    </div>
  );
}

export function RetryButton({ endpointId, deliveryId }: { endpointId: string; deliveryId: string }) {
  const router = useRouter();
  const { pending, onSubmit } = useActionForm({
    send: () => retryDeliveryAction(endpointId, deliveryId),
    done: () => {
      toast.success("Delivery queued again");
      router.refresh();
    },
  });
  return (
    <form onSubmit={onSubmit}>
      <Button type="submit" variant="ghost" disabled={pending} aria-label={`Retry delivery ${deliveryId}`}>
        Retry
      </Button>
    </form>
  );
}

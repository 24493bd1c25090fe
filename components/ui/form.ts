import type { FormEvent } from "react";

/**
 * An onSubmit handler that passes the form's data to `submit`. Used instead of
 * `<form action={fn}>`, which in React 19 clears every uncontrolled field once the action ends,
 * so a refused submission would wipe what the user typed along with the error's context.
 */
export function submitWith(submit: (form: FormData) => Promise<void>) {
  return (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    // Enter in a field submits even while the disabled button says it is busy.
    if (form.dataset.submitting) return;
    form.dataset.submitting = "true";
    void submit(new FormData(form)).finally(() => delete form.dataset.submitting);
  };
}

"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, type ComponentProps } from "react";

import { Input } from "../ui/field";

const DEBOUNCE_MS = 300;

/**
 * A filter form's search field that applies itself while the person types: after a pause, the
 * URL's `name` parameter follows the field (other filters kept, paging restarted), so the list,
 * the back button and a shared link all agree. Submitting the form still works, without JavaScript too.
 */
export function SearchAsYouType({ name, defaultValue, ...props }: Omit<ComponentProps<"input">, "ref"> & { name: string }) {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => {
    // A submit carries the field already; a search firing after it would undo the other filters it set.
    const form = input.current?.form;
    const cancel = () => clearTimeout(timer.current);
    form?.addEventListener("submit", cancel);
    return () => {
      cancel();
      form?.removeEventListener("submit", cancel);
    };
  }, []);

  // The URL can change under the field (a filter chip removed the search): follow it, unless
  // the person is typing there.
  useEffect(() => {
    if (input.current && document.activeElement !== input.current) input.current.value = String(defaultValue ?? "");
  }, [defaultValue]);

  function schedule(value: string) {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      // The URL at the time of firing, not of typing: another filter may have changed since.
      const params = new URLSearchParams(window.location.search);
      const wanted = value.trim();
      if ((params.get(name) ?? "") === wanted) return;
      if (wanted) params.set(name, wanted);
      else params.delete(name);
      params.delete("cursor");
      const query = params.toString();
      router.replace(query ? `${window.location.pathname}?${query}` : window.location.pathname, { scroll: false });
    }, DEBOUNCE_MS);
  }

  return (
    <Input {...props} ref={input} name={name} defaultValue={defaultValue} type="search" autoComplete="off" onChange={(event) => schedule(event.target.value)} />
  );
}

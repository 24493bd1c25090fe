import { Num } from "../ui/number";

// Longer than this, metadata folds: a tag or two reads inline, a pasted config would push
// the usage chart off the screen.
const INLINE_CHARS = 80;

/** A key's metadata: inline when short, else a fold that opens on the formatted JSON. */
export function MetadataValue({ meta }: { meta: Record<string, unknown> }) {
  const inline = JSON.stringify(meta);
  if (inline.length <= INLINE_CHARS) return <code className="text-xs break-all">{inline}</code>;
  const fields = Object.keys(meta).length;
  return (
    <details>
      <summary className="cursor-pointer text-sm text-blue-800">
        <Num value={fields} /> {fields === 1 ? "field" : "fields"}, <Num value={inline.length} /> characters
      </summary>
      <pre className="mt-1 max-h-96 overflow-auto rounded bg-zinc-50 p-2 text-xs wrap-anywhere whitespace-pre-wrap">{JSON.stringify(meta, null, 2)}</pre>
    </details>
  );
}

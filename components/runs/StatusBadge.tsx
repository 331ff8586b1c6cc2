/** A state as a coloured badge; `label` when the words differ from the colour's state (a stopped host). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`status status-${status}`}>{(label ?? status).replace(/_/g, ' ')}</span>;
}

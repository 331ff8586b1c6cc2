/** Display helpers shared by run screens. */
export function formatDuration(startedAt: string | null, finishedAt: string | null, now = Date.now()): string {
  if (!startedAt) return '–';
  const ms = (finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A moment as operators read it, always with its zone: "2026-11-25 16:40:12 UTC". */
export function formatTime(iso: string | null): string {
  return iso ? `${new Date(iso).toISOString().replace('T', ' ').slice(0, 19)} UTC` : '–';
}

/** The time of day of a log line, with its zone: "16:40:12 UTC". */
export function formatClock(iso: string): string {
  return `${new Date(iso).toISOString().slice(11, 19)} UTC`;
}

export function formatNumber(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const number = Number(value);
  return Number.isFinite(number) ? number.toLocaleString('en-US', { maximumFractionDigits: 6 }) : String(value);
}

/** A moment as users read it on the panel: `2026-11-25 16:52:36 UTC` (always with its zone; the server's zone is nobody's). */
export function formatUtc(moment: Date | string | null): string {
  if (moment === null) return '–';
  const date = typeof moment === 'string' ? new Date(moment) : moment;
  if (Number.isNaN(date.getTime())) return '–';
  return `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

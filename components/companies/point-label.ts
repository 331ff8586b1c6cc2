import type { ChartPoint } from '@/server/read-models/company-chart';

/** What a chart point covers, for its tooltip: the day, or the bucket's days and how many. */
export function coveredDays(point: Pick<ChartPoint, 'first' | 'last' | 'days'>): string {
  if (point.days === 1) return point.first;
  return `${point.first} – ${point.last} (${point.days.toLocaleString('en-US')} trading days)`;
}

import type { TooltipContentProps } from 'recharts';

import type { ChartPoint } from '@/server/read-models/company-chart';

import styles from './companies.module.css';
import { coveredDays } from './point-label';

const number = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 4 });
const percent = (value: number | null) => (value === null ? '–' : `${number(value)} %`);

/** The tooltip of all three charts: which days the point covers, then the values of the chart. */
export function PointTooltip({ active, payload, show }: Pick<TooltipContentProps<number, string>, 'active' | 'payload'> & { show: 'price' | 'volume' | 'percent' }) {
  const point = payload?.[0]?.payload as ChartPoint | undefined;
  if (!active || !point) return null;
  const bucket = point.days > 1;
  return (
    <div className={styles.tooltip} data-testid="chart-tooltip">
      <strong>{coveredDays(point)}</strong>
      {show === 'price' && (
        <div>
          Open {number(point.open)} · High {number(point.high)} · Low {number(point.low)} · Close {number(point.close)}
        </div>
      )}
      {show === 'volume' && (
        <div>
          {bucket ? 'Total volume' : 'Volume'} {point.volume.toLocaleString('en-US')}
        </div>
      )}
      {show === 'percent' &&
        (bucket ? (
          <div>
            % change from {percent(point.percentMin)} to {percent(point.percentMax)}
          </div>
        ) : (
          <div>% change {percent(point.percentMax)}</div>
        ))}
    </div>
  );
}

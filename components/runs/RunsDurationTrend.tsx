'use client';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

import type { TrendPoint } from '@/server/read-models/runs-list';

import { formatTime } from './format';
import styles from './runs.module.css';

// The grid's colours, so a bar and its column read alike.
const OUTCOME_COLOURS: Record<TrendPoint['status'], string> = { success: '#2da44e', failed: '#cf222e', cancelled: '#8c959f', running: '#54aeff', queued: '#d4a72c' };

const seconds = (value: number) => (value < 60 ? `${value.toFixed(value < 10 ? 1 : 0)} s` : `${(value / 60).toFixed(1)} min`);

/** How long each finished run took, oldest first, each bar coloured by how the run ended. */
export function RunsDurationTrend({ points }: { points: TrendPoint[] }) {
  if (points.length === 0) return null;
  const data = points.map((point, index) => ({ ...point, index: index + 1 }));
  return (
    <section aria-labelledby="runs-trend-heading">
      <h2 id="runs-trend-heading">Duration</h2>
      <div className={`chart ${styles.trend}`} data-testid="runs-duration-trend" role="img" aria-label={`Durations of the last ${points.length} finished runs, coloured by outcome`}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 5, right: 10, bottom: 5, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="index" tick={false} />
            <YAxis tickFormatter={seconds} width={56} />
            <Tooltip
              formatter={(value) => [seconds(Number(value)), 'duration']}
              labelFormatter={(label) => {
                const point = data[Number(label) - 1];
                return point ? `${point.runId} (${point.status}), queued ${formatTime(point.queuedAt)}` : '';
              }}
            />
            <Bar dataKey="durationSeconds" isAnimationActive={false} maxBarSize={48}>
              {data.map((point) => (
                <Cell key={point.runId} fill={OUTCOME_COLOURS[point.status]} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}

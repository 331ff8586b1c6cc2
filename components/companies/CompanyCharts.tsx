'use client';
import { Area, Bar, BarChart, CartesianGrid, ComposedChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

import type { ChartPoint } from '@/server/read-models/company-chart';

import { CandleShape } from './CandleShape';
import { PointTooltip } from './PointTooltip';

const compact = (value: number) => Intl.NumberFormat('en-US', { notation: 'compact' }).format(value);
const grouped = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 2 });
const margin = { top: 5, right: 10, bottom: 5, left: 0 };
const priceRange = (point: ChartPoint): [number, number] => [point.low, point.high];
const percentRange = (point: ChartPoint): [number, number] | null => (point.percentMin === null || point.percentMax === null ? null : [point.percentMin, point.percentMax]);

/** Candlesticks, volume and percent change of one company; bucketed points say what they cover. */
export function CompanyCharts({ points, bucketed }: { points: ChartPoint[]; bucketed: boolean }) {
  return (
    <>
      <h2>Price (open, high, low, close{bucketed ? ' per bucket' : ''})</h2>
      <div className="chart" data-testid="chart-price">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={margin} barCategoryGap="15%">
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="first" minTickGap={40} />
            <YAxis domain={['auto', 'auto']} width={60} tickFormatter={grouped} />
            <Tooltip content={(props) => <PointTooltip {...props} show="price" />} />
            <Bar dataKey={priceRange} name="price" shape={CandleShape} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <h2>{bucketed ? 'Total volume per bucket' : 'Volume per day'}</h2>
      <div className="chart" data-testid="chart-volume">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={margin}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="first" minTickGap={40} />
            <YAxis tickFormatter={compact} width={60} />
            <Tooltip content={(props) => <PointTooltip {...props} show="volume" />} />
            <Bar dataKey="volume" name="volume" fill="#8c959f" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <h2>{bucketed ? 'Daily percent change: lowest to highest per bucket' : 'Daily percent change'}</h2>
      <div className="chart" data-testid="chart-percent">
        <ResponsiveContainer width="100%" height="100%">
          {bucketed ? (
            <ComposedChart data={points} margin={margin}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="first" minTickGap={40} />
              <YAxis width={60} />
              <ReferenceLine y={0} stroke="#57606a" />
              <Tooltip content={(props) => <PointTooltip {...props} show="percent" />} />
              <Area dataKey={percentRange} name="percent range" stroke="#bf3989" fill="#bf3989" fillOpacity={0.3} isAnimationActive={false} connectNulls />
            </ComposedChart>
          ) : (
            <BarChart data={points} margin={margin}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="first" minTickGap={40} />
              <YAxis width={60} />
              <ReferenceLine y={0} stroke="#57606a" />
              <Tooltip content={(props) => <PointTooltip {...props} show="percent" />} />
              <Bar dataKey="percentMax" name="percent" fill="#bf3989" isAnimationActive={false} />
            </BarChart>
          )}
        </ResponsiveContainer>
      </div>
    </>
  );
}

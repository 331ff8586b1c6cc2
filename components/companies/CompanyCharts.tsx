'use client';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartPoint } from '@/server/read-models/company-chart';

const compact = (value: number) => Intl.NumberFormat('en-US', { notation: 'compact' }).format(value);

export function CompanyCharts({ points }: { points: ChartPoint[] }) {
  return (
    <>
      <h2>Close price</h2>
      <div className="chart" data-testid="chart-close">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 5, right: 10, bottom: 5, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" minTickGap={40} />
            <YAxis domain={['auto', 'auto']} width={60} />
            <Tooltip />
            <Line type="monotone" dataKey="close" stroke="#1f6feb" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <h2>Volume</h2>
      <div className="chart" data-testid="chart-volume">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={{ top: 5, right: 10, bottom: 5, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" minTickGap={40} />
            <YAxis tickFormatter={compact} width={60} />
            <Tooltip formatter={(value) => compact(Number(value))} />
            <Bar dataKey="volume" fill="#8c959f" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <h2>Daily percent change</h2>
      <div className="chart" data-testid="chart-percent">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 5, right: 10, bottom: 5, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" minTickGap={40} />
            <YAxis width={60} />
            <ReferenceLine y={0} stroke="#57606a" />
            <Tooltip />
            <Line type="monotone" dataKey="percent" stroke="#bf3989" dot={false} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </>
  );
}

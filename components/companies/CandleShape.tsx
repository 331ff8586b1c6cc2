import type { BarShapeProps } from 'recharts';

import type { ChartPoint } from '@/server/read-models/company-chart';

const UP = '#1a7f37';
const DOWN = '#cf222e';

/**
 * One candlestick. Recharts has none built in: the Bar spans [low, high], so its rectangle gives
 * the pixel positions of low and high, and open/close are placed between them proportionally.
 */
export function CandleShape(props: BarShapeProps) {
  const point = props.payload as ChartPoint | undefined;
  if (!point) return <g />;
  const top = Math.min(props.y, props.y + props.height);
  const bottom = Math.max(props.y, props.y + props.height);
  const span = point.high - point.low;
  const at = (value: number) => (span === 0 ? top : bottom - ((value - point.low) / span) * (bottom - top));
  const centre = props.x + props.width / 2;
  const bodyWidth = Math.max(1, props.width * 0.7);
  const bodyTop = Math.min(at(point.open), at(point.close));
  const bodyHeight = Math.max(1, Math.abs(at(point.open) - at(point.close)));
  const colour = point.close >= point.open ? UP : DOWN;
  return (
    <g className="candle" data-up={point.close >= point.open}>
      <line x1={centre} x2={centre} y1={top} y2={bottom} stroke={colour} strokeWidth={1} />
      <rect x={centre - bodyWidth / 2} y={bodyTop} width={bodyWidth} height={bodyHeight} fill={colour} />
    </g>
  );
}

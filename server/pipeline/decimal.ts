/**
 * Exact decimal maths for prices. A price is held as an integer count of 10^-scale units, so
 * 1.1 - 1.0 is exactly 0.1 (binary floats would give 0.10000000000000009). Small values (the
 * usual case) are computed with exact integer doubles; anything larger falls back to BigInt.
 */
export interface FixedDecimal {
  /** Digits without the point, as text ("17.07" -> "1707"). */
  digits: string;
  scale: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const PERCENT_PLACES = 6;

/** Parses a plain non-negative decimal ("17.07", "0", ".5", "+3"); null for anything else. */
export function parseNonNegativeDecimal(text: string): FixedDecimal | null {
  let start = text.charCodeAt(0) === 43 /* + */ ? 1 : 0;
  const length = text.length;
  if (start >= length) return null;
  let point = -1;
  for (let index = start; index < length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 46 /* . */) {
      if (point !== -1) return null;
      point = index;
    } else if (code < 48 || code > 57) {
      return null;
    }
  }
  if (point === -1) return { digits: text.slice(start), scale: 0 };
  if (point === length - 1) return null;
  const whole = point === start ? '0' : text.slice(start, point);
  start = point + 1;
  return { digits: whole + text.slice(start), scale: length - start };
}

const powers = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);

/** Canonical text: no exponent, no trailing fractional zeros ("0.10" -> "0.1", "2.00" -> "2"). */
export function formatFixed(units: number | bigint, scale: number): string {
  if (typeof units === 'number' && scale < powers.length && Number.isSafeInteger(units)) return formatSafeInteger(units, scale);
  const negative = units < 0;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = digits.padStart(scale + 1, '0');
    let end = digits.length;
    const pointAt = end - scale;
    while (end > pointAt && digits.charCodeAt(end - 1) === 48) end -= 1;
    digits = end > pointAt ? `${digits.slice(0, pointAt)}.${digits.slice(pointAt, end)}` : digits.slice(0, pointAt);
  }
  return negative && digits !== '0' ? `-${digits}` : digits;
}

/** formatFixed by arithmetic, without digit strings to slice (twice a row in the transform). */
function formatSafeInteger(units: number, scale: number): string {
  const negative = units < 0;
  const magnitude = negative ? -units : units;
  const divisor = powers[scale]!;
  // Exact: below 2^53 a quotient short of a whole number by at least 1/divisor never rounds up to it.
  const whole = Math.floor(magnitude / divisor);
  let fraction = magnitude - whole * divisor;
  const sign = negative ? '-' : '';
  if (fraction === 0) return whole === 0 ? '0' : `${sign}${whole}`;
  let places = scale;
  while (fraction % 10 === 0) {
    fraction /= 10;
    places -= 1;
  }
  const digits = String(fraction);
  return `${sign}${whole}.${digits.length < places ? '0'.repeat(places - digits.length) + digits : digits}`;
}

/** Both values at one common scale, as safe integers when they fit. */
function aligned(open: FixedDecimal, close: FixedDecimal): { scale: number; open: number; close: number } | null {
  const scale = Math.max(open.scale, close.scale);
  if (open.digits.length + scale - open.scale > 15 || close.digits.length + scale - close.scale > 15) return null;
  return {
    scale,
    open: Number(open.digits) * powers[scale - open.scale]!,
    close: Number(close.digits) * powers[scale - close.scale]!,
  };
}

function alignedBig(open: FixedDecimal, close: FixedDecimal): { scale: number; open: bigint; close: bigint } {
  const scale = Math.max(open.scale, close.scale);
  return {
    scale,
    open: BigInt(open.digits) * 10n ** BigInt(scale - open.scale),
    close: BigInt(close.digits) * 10n ** BigInt(scale - close.scale),
  };
}

/** close - open, exactly. */
export function valueChange(open: FixedDecimal, close: FixedDecimal): string {
  const small = aligned(open, close);
  if (small) return formatFixed(small.close - small.open, small.scale);
  const big = alignedBig(open, close);
  return formatFixed(big.close - big.open, big.scale);
}

/**
 * (close - open) / open * 100, rounded half away from zero to 6 decimals;
 * null when open is zero (the ratio is undefined).
 */
export function percentChange(open: FixedDecimal, close: FixedDecimal): string | null {
  const small = aligned(open, close);
  if (small) {
    if (small.open === 0) return null;
    const percentUnits = roundedPercentUnits(small.close - small.open, small.open);
    if (percentUnits !== null) return formatFixed(percentUnits, PERCENT_PLACES);
  }
  const big = alignedBig(open, close);
  if (big.open === 0n) return null;
  const difference = big.close - big.open;
  const magnitude = difference < 0n ? -difference : difference;
  const quotient = (2n * magnitude * 100_000_000n + big.open) / (2n * big.open);
  return formatFixed(difference < 0n ? -quotient : quotient, PERCENT_PLACES);
}

/**
 * difference / open * 100 in units of 10^-6, rounded half away from zero, for safe integers;
 * null when the intermediate product would not be exact in a double (use the BigInt path).
 */
export function roundedPercentUnits(difference: number, open: number): number | null {
  // round(|d| / o * 10^8) = floor((2·|d|·10^8 + o) / (2·o))
  const numerator = 2 * Math.abs(difference) * 1e8 + open;
  const denominator = 2 * open;
  if (numerator > MAX_SAFE || denominator > MAX_SAFE) return null;
  let quotient = Math.floor(numerator / denominator);
  // The float division may round across an integer; settle it with exact products.
  while (quotient * denominator > numerator) quotient -= 1;
  while ((quotient + 1) * denominator <= numerator) quotient += 1;
  return difference < 0 ? -quotient : quotient;
}

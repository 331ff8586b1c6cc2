/**
 * Exact decimal maths for prices. A price is held as an integer count of 10^-scale units, so
 * 1.1 - 1.0 is exactly 0.1 (binary floats would give 0.10000000000000009).
 */
export interface FixedDecimal {
  units: bigint;
  scale: number;
}

const plainDecimal = /^\+?(\d+)(?:\.(\d+))?$|^\+?\.(\d+)$/;

/** Parses a plain non-negative decimal ("17.07", "0", ".5"); null for anything else. */
export function parseNonNegativeDecimal(text: string): FixedDecimal | null {
  const match = plainDecimal.exec(text);
  if (!match) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? match[3] ?? '';
  return { units: BigInt(whole + fraction), scale: fraction.length };
}

const powersOfTen: bigint[] = Array.from({ length: 40 }, (_, exponent) => 10n ** BigInt(exponent));

function pow10(exponent: number): bigint {
  return powersOfTen[exponent] ?? 10n ** BigInt(exponent);
}

function rescale(value: FixedDecimal, scale: number): bigint {
  return value.units * pow10(scale - value.scale);
}

/** Canonical text: no exponent, no trailing fractional zeros ("0.10" -> "0.1", "2.00" -> "2"). */
export function formatFixed(units: bigint, scale: number): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const whole = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = fraction ? `${whole}.${fraction}` : whole;
  }
  return negative && digits !== '0' ? `-${digits}` : digits;
}

/** close - open, exactly. */
export function valueChange(open: FixedDecimal, close: FixedDecimal): string {
  const scale = Math.max(open.scale, close.scale);
  return formatFixed(rescale(close, scale) - rescale(open, scale), scale);
}

/**
 * (close - open) / open * 100, rounded half away from zero to `places` decimals;
 * null when open is zero (the ratio is undefined).
 */
export function percentChange(open: FixedDecimal, close: FixedDecimal, places = 6): string | null {
  if (open.units === 0n) return null;
  const scale = Math.max(open.scale, close.scale);
  const openUnits = rescale(open, scale);
  const difference = rescale(close, scale) - openUnits;
  const magnitude = difference < 0n ? -difference : difference;
  // round(|d| / o * 100 * 10^places) = floor((2·|d|·100·10^places + o) / (2·o))
  const numerator = 2n * magnitude * 100n * pow10(places) + openUnits;
  const rounded = numerator / (2n * openUnits);
  return formatFixed(difference < 0n ? -rounded : rounded, places);
}

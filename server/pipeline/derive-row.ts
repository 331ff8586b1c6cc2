import { formatFixed, PERCENT_PLACES, roundedPercentUnits } from './decimal';
import { isCalendarDate, parseStockLine } from './stock-row';

/**
 * A validated row ready for the output file: `csv` is the output line without ",company\n"
 * (stock_date ... volume_traded, daily_percent_change, value_change).
 */
export type DerivedRow = { ok: true; date: string; csv: string; openIsZero: boolean } | { ok: false; reason: string };

/** Validates a source line and derives its output; rows in the usual plain form take a fast path. */
export function deriveRow(line: string): DerivedRow {
  const fast = derivePlainRow(line);
  if (fast !== undefined) return fast;
  // Only lines off the fast path (which takes digits only) can hold one.
  const control = controlCharacterReason(line);
  if (control) return { ok: false, reason: control };
  const parsed = parseStockLine(line);
  if (!parsed.ok) return parsed;
  const { row } = parsed;
  return {
    ok: true,
    date: row.date,
    csv: `${row.date},${row.open},${row.high},${row.low},${row.close},${row.volume},${row.dailyPercentChange ?? ''},${row.valueChange}`,
    openIsZero: row.dailyPercentChange === null,
  };
}

/** Why a line is refused for a control character (tab, CR and LF excepted), or null. */
export function controlCharacterReason(line: string): string | null {
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(line);
  return control ? `contains a control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at column ${control.index + 1}` : null;
}

// Result registers of scanNumber, so the hot loop allocates nothing per field.
let scannedUnits = 0;
let scannedScale = 0;
let scannedDigits = 0;

/** Reads [start, end) as a plain decimal of at most 15 digits; false for anything else. */
function scanNumber(line: string, start: number, end: number, allowPoint: boolean): boolean {
  let units = 0;
  let digits = 0;
  let point = -1;
  for (let index = start; index < end; index += 1) {
    const code = line.charCodeAt(index);
    if (code >= 48 && code <= 57) {
      units = units * 10 + (code - 48);
      digits += 1;
    } else if (code === 46 && allowPoint && point === -1 && index > start && index < end - 1) {
      point = index;
    } else {
      return false;
    }
  }
  if (digits === 0 || digits > 15) return false;
  scannedUnits = units;
  scannedScale = point === -1 ? 0 : end - point - 1;
  scannedDigits = digits;
  return true;
}

const powers = Array.from({ length: 16 }, (_, exponent) => 10 ** exponent);

/**
 * The fast path: exactly seven unquoted fields of plain digits. Returns undefined for anything
 * else, and the general parser then decides (and words the rejection).
 */
const commas = [0, 0, 0, 0, 0, 0];

function derivePlainRow(line: string): DerivedRow | undefined {
  let found = 0;
  for (let index = line.indexOf(','); index !== -1; index = line.indexOf(',', index + 1)) {
    if (found === 6) return undefined;
    commas[found++] = index;
  }
  if (found !== 6) return undefined;
  const [dateEnd, openEnd, highEnd, lowEnd, closeEnd, volumeEnd] = commas as [number, number, number, number, number, number];
  if (dateEnd !== 10) return undefined;
  const date = line.slice(0, 10);
  if (!isCalendarDate(date)) return undefined;
  if (!scanNumber(line, dateEnd + 1, openEnd, true)) return undefined;
  const openUnits = scannedUnits;
  const openScale = scannedScale;
  const openDigits = scannedDigits;
  if (!scanNumber(line, openEnd + 1, highEnd, true) || !scanNumber(line, highEnd + 1, lowEnd, true)) return undefined;
  if (!scanNumber(line, lowEnd + 1, closeEnd, true)) return undefined;
  const closeUnits = scannedUnits;
  const closeScale = scannedScale;
  const closeDigits = scannedDigits;
  if (!scanNumber(line, closeEnd + 1, volumeEnd, false) || !scanNumber(line, volumeEnd + 1, line.length, false)) return undefined;

  const scale = openScale > closeScale ? openScale : closeScale;
  if (openDigits + scale - openScale > 15 || closeDigits + scale - closeScale > 15) return undefined;
  const open = openUnits * powers[scale - openScale]!;
  const difference = closeUnits * powers[scale - closeScale]! - open;
  let percent = '';
  if (open !== 0) {
    const percentUnits = roundedPercentUnits(difference, open);
    if (percentUnits === null) return undefined;
    percent = formatFixed(percentUnits, PERCENT_PLACES);
  }
  return {
    ok: true,
    date,
    csv: `${line.slice(0, volumeEnd)},${percent},${formatFixed(difference, scale)}`,
    openIsZero: open === 0,
  };
}

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

const powers = Array.from({ length: 16 }, (_, exponent) => 10 ** exponent);

/**
 * The fast path: a date, then exactly six unquoted fields of plain digits (prices may hold one
 * inner point, at most 15 digits each), read in one pass over the line. Returns undefined for
 * anything else, and the general parser then decides (and words the rejection).
 */
function derivePlainRow(line: string): DerivedRow | undefined {
  const length = line.length;
  if (line.charCodeAt(10) !== 44) return undefined;
  const date = line.slice(0, 10);
  if (!isCalendarDate(date)) return undefined;
  let openUnits = 0;
  let openScale = 0;
  let openDigits = 0;
  let closeUnits = 0;
  let closeScale = 0;
  let closeDigits = 0;
  let volumeEnd = 0;
  let at = 11;
  // Open, High, Low, Close (a point allowed), Volume, OpenInt: each ends at a comma, the last at the end.
  for (let field = 0; field < 6; field += 1) {
    const start = at;
    let units = 0;
    let digits = 0;
    let point = -1;
    for (; at < length; at += 1) {
      const code = line.charCodeAt(at);
      if (code >= 48 && code <= 57) {
        units = units * 10 + (code - 48);
        digits += 1;
      } else if (code === 44) break;
      else if (code === 46 && field < 4 && point === -1) point = at;
      else return undefined;
    }
    if (field < 5 ? at >= length : at !== length) return undefined;
    if (digits === 0 || digits > 15 || point === start || (point !== -1 && point === at - 1)) return undefined;
    if (field === 0) {
      openUnits = units;
      openScale = point === -1 ? 0 : at - point - 1;
      openDigits = digits;
    } else if (field === 3) {
      closeUnits = units;
      closeScale = point === -1 ? 0 : at - point - 1;
      closeDigits = digits;
    } else if (field === 4) volumeEnd = at;
    at += 1;
  }

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

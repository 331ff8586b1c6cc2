import { parseCsvLine } from './csv-record';
import { parseNonNegativeDecimal, percentChange, valueChange } from './decimal';

/** The source file contract: Date,Open,High,Low,Close,Volume,OpenInt. */
export const SOURCE_COLUMNS = ['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'OpenInt'] as const;

/** historical_stocks_data's columns, in the order of the output CSV and of COPY. */
export const TABLE_COLUMNS = ['stock_date', 'open_value', 'high_value', 'low_value', 'close_value', 'volume_traded', 'daily_percent_change', 'value_change', 'company_name'] as const;

export interface StockRow {
  date: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  /** null when Open is zero. */
  dailyPercentChange: string | null;
  valueChange: string;
}

export type RowResult = { ok: true; row: StockRow; warning?: string } | { ok: false; reason: string };

export function isHeaderLine(line: string): boolean {
  const parsed = parseCsvLine(line);
  return parsed.ok && isHeaderFields(parsed.fields);
}

/** The header check on fields already split (the upload preview gets them from papaparse). */
export function isHeaderFields(fields: readonly string[]): boolean {
  return fields.length === SOURCE_COLUMNS.length && fields.every((field, index) => field.trim().toLowerCase() === SOURCE_COLUMNS[index]!.toLowerCase());
}

/** True when a first line looks like a header (starts with a letter) rather than a data row. */
export function looksLikeHeader(line: string): boolean {
  return /^\s*"?[A-Za-z]/.test(line);
}

function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let index = from; index < from + count; index += 1) {
    const code = text.charCodeAt(index) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real YYYY-MM-DD calendar date (1800 on), leap years included. */
export function isCalendarDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0);
}

const nonNegativeInteger = /^\+?\d+$/;

function splitFields(line: string): string[] | string {
  if (!line.includes('"')) return line.split(',');
  const parsed = parseCsvLine(line);
  return parsed.ok ? parsed.fields : parsed.reason;
}

/** Validates one data line and derives value_change and daily_percent_change from it. */
export function parseStockLine(line: string): RowResult {
  const split = splitFields(line);
  if (typeof split === 'string') return { ok: false, reason: split };
  return parseStockFields(split);
}

/** Validates one data row's fields (already split) and derives its two columns. */
export function parseStockFields(split: readonly string[]): RowResult {
  if (split.length !== SOURCE_COLUMNS.length) {
    return { ok: false, reason: `expected ${SOURCE_COLUMNS.length} columns, found ${split.length}` };
  }
  const date = split[0]!.trim();
  const openText = split[1]!.trim();
  const highText = split[2]!.trim();
  const lowText = split[3]!.trim();
  const closeText = split[4]!.trim();
  const volume = split[5]!.trim();
  const openInterest = split[6]!.trim();
  if (!isCalendarDate(date)) return { ok: false, reason: `Date: ${JSON.stringify(date)} is not a calendar date (YYYY-MM-DD)` };
  const open = parseNonNegativeDecimal(openText);
  if (!open) return notDecimal('Open', openText);
  if (!parseNonNegativeDecimal(highText)) return notDecimal('High', highText);
  if (!parseNonNegativeDecimal(lowText)) return notDecimal('Low', lowText);
  const close = parseNonNegativeDecimal(closeText);
  if (!close) return notDecimal('Close', closeText);
  if (!nonNegativeInteger.test(volume)) {
    return { ok: false, reason: `Volume: ${JSON.stringify(volume)} is not a non-negative integer` };
  }
  if (volume.replace(/^\+?0*/, '').length > 18) return { ok: false, reason: `Volume: ${volume} is out of range` };
  if (!nonNegativeInteger.test(openInterest)) {
    return { ok: false, reason: `OpenInt: ${JSON.stringify(openInterest)} is not a non-negative integer` };
  }
  const dailyPercentChange = percentChange(open, close);
  return {
    ok: true,
    row: {
      date,
      open: withoutPlus(openText),
      high: withoutPlus(highText),
      low: withoutPlus(lowText),
      close: withoutPlus(closeText),
      volume: withoutPlus(volume),
      dailyPercentChange,
      valueChange: valueChange(open, close),
    },
    warning: dailyPercentChange === null ? 'Open is 0: daily_percent_change left empty' : undefined,
  };
}

function withoutPlus(text: string): string {
  return text.charCodeAt(0) === 43 ? text.slice(1) : text;
}

function notDecimal(column: string, text: string): RowResult {
  return { ok: false, reason: `${column}: ${JSON.stringify(text)} is not a non-negative decimal number` };
}

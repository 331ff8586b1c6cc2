import { parseCsvLine } from './csv';
import { parseNonNegativeDecimal, percentChange, valueChange } from './decimal';

/** The source file contract: Date,Open,High,Low,Close,Volume,OpenInt. */
export const SOURCE_COLUMNS = ['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'OpenInt'] as const;

/** historical_stocks_data's columns, in the order of the output CSV and of COPY. */
export const TABLE_COLUMNS = [
  'stock_date',
  'open_value',
  'high_value',
  'low_value',
  'close_value',
  'volume_traded',
  'daily_percent_change',
  'value_change',
  'company_name',
] as const;

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
  if (!parsed.ok) return false;
  return (
    parsed.fields.length === SOURCE_COLUMNS.length &&
    parsed.fields.every((field, index) => field.trim().toLowerCase() === SOURCE_COLUMNS[index]!.toLowerCase())
  );
}

/** True when a first line looks like a header (starts with a letter) rather than a data row. */
export function looksLikeHeader(line: string): boolean {
  return /^\s*"?[A-Za-z]/.test(line);
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(text: string): boolean {
  const match = isoDate.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

const nonNegativeInteger = /^\+?\d+$/;

/** Validates one data line and derives value_change and daily_percent_change from it. */
export function parseStockLine(line: string): RowResult {
  const parsed = parseCsvLine(line);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const fields = parsed.fields.map((field) => field.trim());
  if (fields.length !== SOURCE_COLUMNS.length) {
    return { ok: false, reason: `expected ${SOURCE_COLUMNS.length} columns, found ${fields.length}` };
  }
  const [date, openText, highText, lowText, closeText, volume, openInterest] = fields as [
    string, string, string, string, string, string, string,
  ];
  if (!isCalendarDate(date)) return { ok: false, reason: `Date: ${JSON.stringify(date)} is not a calendar date (YYYY-MM-DD)` };
  const prices = { Open: openText, High: highText, Low: lowText, Close: closeText };
  for (const [name, text] of Object.entries(prices)) {
    if (parseNonNegativeDecimal(text) === null) {
      return { ok: false, reason: `${name}: ${JSON.stringify(text)} is not a non-negative decimal number` };
    }
  }
  if (!nonNegativeInteger.test(volume)) {
    return { ok: false, reason: `Volume: ${JSON.stringify(volume)} is not a non-negative integer` };
  }
  if (volume.replace(/^\+?0*/, '').length > 18) return { ok: false, reason: `Volume: ${volume} is out of range` };
  if (!nonNegativeInteger.test(openInterest)) {
    return { ok: false, reason: `OpenInt: ${JSON.stringify(openInterest)} is not a non-negative integer` };
  }
  const open = parseNonNegativeDecimal(openText)!;
  const close = parseNonNegativeDecimal(closeText)!;
  const dailyPercentChange = percentChange(open, close);
  return {
    ok: true,
    row: {
      date,
      open: openText.replace(/^\+/, ''),
      high: highText.replace(/^\+/, ''),
      low: lowText.replace(/^\+/, ''),
      close: closeText.replace(/^\+/, ''),
      volume: volume.replace(/^\+/, ''),
      dailyPercentChange,
      valueChange: valueChange(open, close),
    },
    warning: dailyPercentChange === null ? 'Open is 0: daily_percent_change left empty' : undefined,
  };
}

import { KEYS } from '../pipeline/context';
import type { ObjectStore } from '../ports/object-store';
import { writeDemoMarker } from './demo-marker';

/**
 * Deterministic synthetic sample data in the real format and with its quirks: CRLF lines, a
 * header on every file, some empty files, one header-only file, a zero Open, histories from a
 * few days to decades, files the list does not name, and a listed name with no file.
 */

export interface SyntheticSeed {
  tickers: string[];
  /** Listed names (includes one with no file). */
  listed: string[];
  files: Map<string, string>;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function tickerName(random: () => number, taken: Set<string>): string {
  while (true) {
    const length = 1 + Math.floor(random() * 4);
    let name = Array.from({ length }, () => LETTERS[Math.floor(random() * 26)]).join('');
    const variant = random();
    if (variant < 0.04) name += '_p';
    else if (variant < 0.06) name += '-cl';
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

function businessDays(count: number, end: Date): string[] {
  const days: string[] = [];
  const cursor = new Date(end);
  while (days.length < count) {
    const weekday = cursor.getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() - 1);
  }
  return days.reverse();
}

function price(value: number): string {
  // Real files carry up to 4 decimals and drop trailing zeros (17, 17.5, 17.07, 24.587).
  return String(Math.round(value * 1000) / 1000);
}

function history(random: () => number, rows: number, withZeroOpen: boolean): string {
  const lines = ['Date,Open,High,Low,Close,Volume,OpenInt'];
  let close = 5 + random() * 200;
  const days = businessDays(rows, new Date(Date.UTC(2017, 10, 10)));
  days.forEach((day, index) => {
    const open = Math.max(0.01, close * (1 + (random() - 0.5) * 0.02));
    close = Math.max(0.01, open * (1 + (random() - 0.5) * 0.05));
    const high = Math.max(open, close) * (1 + random() * 0.01);
    const low = Math.min(open, close) * (1 - random() * 0.01);
    const volume = Math.floor(random() * 5_000_000);
    const zero = withZeroOpen && index === Math.floor(rows / 2);
    lines.push(`${day},${zero ? '0' : price(open)},${price(high)},${zero ? '0' : price(low)},${price(close)},${volume},0`);
  });
  return `${lines.join('\r\n')}\r\n`;
}

export function generateSyntheticSeed(count: number, seed = 20171110): SyntheticSeed {
  const random = mulberry32(seed);
  const taken = new Set<string>();
  const tickers = Array.from({ length: count }, () => tickerName(random, taken));
  const files = new Map<string, string>();
  tickers.forEach((ticker, index) => {
    let content: string;
    if (index % 97 === 5) content = '';
    else if (index % 131 === 7) content = 'Date,Open,High,Low,Close,Volume,OpenInt\r\n';
    else {
      const shape = random();
      const rows = shape < 0.1 ? 1 + Math.floor(random() * 20) : shape > 0.95 ? 8000 + Math.floor(random() * 4000) : 200 + Math.floor(random() * 3000);
      content = history(random, rows, index % 50 === 3);
    }
    files.set(`${ticker}.us.csv`, content);
  });
  // Files nobody listed (the production bucket holds ~7x more files than the list).
  for (let extra = 0; extra < Math.max(1, Math.floor(count / 10)); extra += 1) {
    files.set(`${tickerName(random, taken)}.us.csv`, history(random, 30, false));
  }
  const listed = [...tickers, tickerName(random, taken)];
  return { tickers, listed, files };
}

/** The list in the seed's own format: one line of single-quoted file names. */
export function formatCompanyList(listed: string[]): string {
  return `${listed.map((ticker) => `'${ticker}.us.csv'`).join(', ')}\n`;
}

export async function seedSynthetic(store: ObjectStore, count: number, seed?: number): Promise<{ files: number; listed: number }> {
  const data = generateSyntheticSeed(count, seed);
  const entries = [...data.files.entries()];
  for (let start = 0; start < entries.length; start += 16) {
    await Promise.all(entries.slice(start, start + 16).map(([name, content]) => store.put(`${KEYS.stocksPrefix}${name}`, content, { contentType: 'text/csv' })));
  }
  await store.put(KEYS.companyList, formatCompanyList(data.listed), { contentType: 'text/plain' });
  await writeDemoMarker(
    store,
    entries.map(([name]) => `${KEYS.stocksPrefix}${name}`),
  );
  return { files: entries.length, listed: data.listed.length };
}

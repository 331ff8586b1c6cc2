import { readFileSync, readdirSync } from 'node:fs';
import { parseStockLine } from '../server/pipeline/stock-row';
const dir = '/work/shared/data/stocks';
const files = readdirSync(dir).slice(0, 300);
const texts = files.map((f) => readFileSync(`${dir}/${f}`, 'utf8'));
let t = performance.now(); let n = 0;
for (const text of texts) for (const line of text.split('\n')) { if (!line || line.startsWith('Date')) continue; n++; parseStockLine(line.replace(/\r$/, '')); }
console.log('rows', n, 'ms', performance.now() - t, 'rows/s', Math.round(n / (performance.now() - t) * 1000));

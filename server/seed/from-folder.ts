import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KEYS } from '../pipeline/context';
import { forEachConcurrently } from '../pipeline/streams';
import type { ObjectStore } from '../ports/object-store';

/**
 * Copies a folder laid out like the sample (stocks/ or Stocks/ with the CSV files, and
 * top_companies.txt) into the source bucket's Stocks/ and CompanyNames/.
 */
export async function seedFromFolder(
  store: ObjectStore,
  folder: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ files: number }> {
  const stocksFolder = ['stocks', 'Stocks'].map((name) => join(folder, name)).find((path) => existsSync(path)) ?? folder;
  const listFile = [join(folder, 'top_companies.txt'), join(folder, 'CompanyNames', 'top_companies.txt')].find((path) => existsSync(path));
  if (!listFile) throw new Error(`No top_companies.txt in ${folder} (or its CompanyNames/ folder)`);
  const names = (await readdir(stocksFolder)).filter((name) => /\.(csv|txt)$/i.test(name) && name !== 'top_companies.txt');
  const files: string[] = [];
  for (const name of names) if ((await stat(join(stocksFolder, name))).isFile()) files.push(name);
  let done = 0;
  await forEachConcurrently(files, 16, async (name) => {
    await store.put(`${KEYS.stocksPrefix}${name}`, createReadStream(join(stocksFolder, name)), { contentType: 'text/csv' });
    onProgress?.(++done, files.length);
  });
  await store.put(KEYS.companyList, createReadStream(listFile), { contentType: 'text/plain' });
  return { files: files.length };
}

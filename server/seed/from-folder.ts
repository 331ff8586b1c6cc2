import { createReadStream, existsSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

import { KEYS } from '../pipeline/context';
import { forEachConcurrently } from '../pipeline/streams';
import type { ObjectStore } from '../ports/object-store';
import { forgetDemoMarker, removeDemoFiles } from './demo-marker';

/**
 * Copies a folder laid out like the sample (stocks/ or Stocks/ with the CSV files, and
 * top_companies.txt) into the source bucket's Stocks/ and CompanyNames/. Symbolic links below the
 * folder are refused before anything is copied: they could upload any file of the machine.
 */
export async function seedFromFolder(store: ObjectStore, folder: string, onProgress?: (done: number, total: number) => void): Promise<{ files: number; demoFilesRemoved: number }> {
  const stocksFolder = ['stocks', 'Stocks'].map((name) => join(folder, name)).find((path) => existsSync(path)) ?? folder;
  const listFile = [join(folder, 'top_companies.txt'), join(folder, 'CompanyNames', 'top_companies.txt')].find((path) => existsSync(path));
  if (!listFile) throw new Error(`No top_companies.txt in ${folder} (or its CompanyNames/ folder)`);
  const links = [...(await linksOnTheWay(folder, stocksFolder)), ...(await linksOnTheWay(folder, listFile))];
  const files: string[] = [];
  for (const entry of await readdir(stocksFolder, { withFileTypes: true })) {
    if (!/\.(csv|txt)$/i.test(entry.name) || entry.name === 'top_companies.txt') continue;
    if (entry.isSymbolicLink()) links.push(relative(folder, join(stocksFolder, entry.name)));
    else if (entry.isFile()) files.push(entry.name);
  }
  if (links.length > 0) {
    const named = [...new Set(links)].map((link) => `${link.split(sep).join('/')} is a symbolic link`).join('; ');
    throw new Error(`${named} in ${folder}: refused (a link can point outside the folder); nothing was copied`);
  }
  // A demo source becomes a real one: its synthetic files go first (a re-run after an interruption
  // removes them again, since the marker goes last).
  const demoFilesRemoved = await removeDemoFiles(store);
  let done = 0;
  await forEachConcurrently(files, 16, async (name) => {
    await store.put(`${KEYS.stocksPrefix}${name}`, createReadStream(join(stocksFolder, name)), { contentType: 'text/csv' });
    onProgress?.(++done, files.length);
  });
  await store.put(KEYS.companyList, createReadStream(listFile), { contentType: 'text/plain' });
  await forgetDemoMarker(store);
  return { files: files.length, demoFilesRemoved };
}

/** The parts of path below root that are symbolic links (relative to root). */
async function linksOnTheWay(root: string, path: string): Promise<string[]> {
  const links: string[] = [];
  const parts = relative(root, path).split(sep).filter(Boolean);
  for (let index = 1; index <= parts.length; index += 1) {
    const part = join(root, ...parts.slice(0, index));
    if ((await lstat(part)).isSymbolicLink()) links.push(relative(root, part));
  }
  return links;
}

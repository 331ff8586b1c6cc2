import { KEYS } from '../pipeline/context';
import { streamToString } from '../pipeline/streams';
import type { ObjectStore } from '../ports/object-store';

const HEADER = ['stockflow demo data: synthetic prices, not real ones.', '`stockflow seed --from DIR` replaces them, and the next run removes their rows from the table.', 'Files:'];

/** Marks the source as holding demo data, naming its files so a real seed can remove exactly them. */
export async function writeDemoMarker(store: ObjectStore, fileKeys: readonly string[]): Promise<void> {
  await store.put(KEYS.demoMarker, `${[...HEADER, ...fileKeys].join('\n')}\n`, { contentType: 'text/plain' });
}

/**
 * Removes the demo files from a source that holds demo data (the marker stays until
 * `forgetDemoMarker`); returns how many went. A source without the marker is left alone.
 */
export async function removeDemoFiles(store: ObjectStore): Promise<number> {
  if (!(await store.head(KEYS.demoMarker))) return 0;
  const listed = (await streamToString(await store.get(KEYS.demoMarker))).split('\n').slice(HEADER.length);
  // Only files the demo seed could have written: a hand-edited marker cannot delete other objects.
  const keys = listed.filter((key) => key.startsWith(KEYS.stocksPrefix) && !key.slice(KEYS.stocksPrefix.length).includes('/'));
  for (const key of keys) await store.delete(key);
  return keys.length;
}

/** The source holds real data from now on. */
export async function forgetDemoMarker(store: ObjectStore): Promise<void> {
  if (await store.head(KEYS.demoMarker)) await store.delete(KEYS.demoMarker);
}

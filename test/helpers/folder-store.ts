import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';

/** A folder bucket in a temporary folder for the enclosing suite, removed after it. */
export function useFolderStore(name: string): { readonly store: FolderObjectStore; readonly root: string } {
  const state = { store: undefined as unknown as FolderObjectStore, root: '' };
  before(async () => {
    state.root = await mkdtemp(join(tmpdir(), `stockflow-${name}-`));
    state.store = new FolderObjectStore(state.root);
  });
  after(() => rm(state.root, { recursive: true, force: true }));
  return state;
}

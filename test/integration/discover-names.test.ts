import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { KEYS, type PipelineContext } from '../../server/pipeline/context';
import { discover } from '../../server/pipeline/discover';

const HEADER = 'Date,Open,High,Low,Close,Volume,OpenInt\n';

describe('discover: which file is a listed company’s', () => {
  let root: string;
  let store: FolderObjectStore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'stockflow-discover-'));
    store = new FolderObjectStore(root);
    await store.put(KEYS.companyList, 'a.us.csv, b, c.csv\nd\nf\n');
    for (const name of ['a.us.csv', 'a.csv', 'B.US.TXT', 'c.csv', 'd.txt', 'e.us.csv', 'sub/x.us.csv', 'f.us.csv.bak']) await store.put(`Stocks/${name}`, HEADER);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('takes each company’s most preferred name (any case), counts the others as not listed, and names the missing', async () => {
    const messages: string[] = [];
    const context = {
      runId: 'run_discover_names',
      source: store,
      full: true,
      log: { log: (_level: string, message: string) => void messages.push(message) },
    } as unknown as PipelineContext;
    const result = await discover(context);
    assert.deepEqual(
      result.files.map((file) => [file.company, file.key]),
      [
        ['a', 'Stocks/a.us.csv'],
        ['b', 'Stocks/B.US.TXT'],
        ['c', 'Stocks/c.csv'],
      ],
    );
    assert.deepEqual(result.missing, ['d', 'f']);
    // a.csv (a has a.us.csv), d.txt and f.us.csv.bak (no candidate name), e.us.csv (not listed); sub/ is not Stocks/.
    assert.equal(result.unlistedFiles, 4);
  });
});

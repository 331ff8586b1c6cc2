import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { bundleCli } from '../../scripts/build-cli.mjs';

/**
 * The checkout's CLI is split into chunks (start-up time). Split, esbuild turns `import()` of a
 * CommonJS package into a chunk exporting only `default`: named exports come back undefined at
 * run time, though tsx runs the same source fine. The build refuses such an import.
 */
describe('the split CLI bundle', () => {
  const folders: string[] = [];
  after(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

  async function build(entry: string) {
    const folder = await mkdtemp(join(tmpdir(), 'stockflow-cli-bundle-'));
    folders.push(folder);
    const outfile = join(folder, 'cli/entry.mjs');
    await bundleCli({ entry, outfile, plugins: [], splitting: true });
    return outfile;
  }

  it('refuses a dynamic import of a CommonJS package, naming it', async () => {
    await assert.rejects(build("export const load = () => import('@aws-sdk/lib-storage');\n"), /CommonJS packages statically.*@aws-sdk\/lib-storage/);
  });

  it('keeps named exports of a package loaded lazily through a module of ours', async () => {
    const outfile = await build("export const load = () => import('./server/adapters/s3-streaming-upload');\n");
    const { load } = (await import(outfile)) as { load: () => Promise<{ uploadObject?: unknown }> };
    assert.equal(typeof (await load()).uploadObject, 'function');
  });
});

/**
 * The repository files an instance builds from (the Airflow image, the panel image), packed into
 * one .tar.gz that the stack uploads as an S3 asset and the user data unpacks. The instances then
 * run exactly the reviewed checkout, need no git access and no registry of our own.
 *
 * A tarball rather than a directory asset: CDK would stage a directory as a copy under cdk.out/,
 * where its .ts files would be picked up by `tsc` and the test runner. The archive is
 * deterministic (sorted paths, fixed mtime and owner, normalized modes), and its asset hash is the
 * hash of the uncompressed tar, so an unchanged checkout never looks changed to CloudFormation
 * (user data embeds the asset key: a change replaces the instance).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Never shipped: build output, local state, secrets, tests. */
const SKIPPED_NAMES = new Set(['node_modules', '.next', '.stockflow', 'dist', 'cdk.out', '__pycache__', 'certs', 'tests', '.git', '.DS_Store']);
const SKIPPED_FILES = [/\.test\.tsx?$/, /^\.env($|\.(?!example$))/];

/** The files under `roots` (files or folders, relative to the repository), sorted. Missing roots are skipped. */
export function collectFiles(roots: readonly string[], root = REPOSITORY_ROOT): string[] {
  const files: string[] = [];
  const visit = (path: string): void => {
    const name = path.split(sep).pop()!;
    if (SKIPPED_NAMES.has(name)) return;
    const info = statSync(path);
    if (info.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (info.isFile() && !SKIPPED_FILES.some((pattern) => pattern.test(name))) {
      files.push(relative(root, path).split(sep).join('/'));
    }
  };
  for (const entry of roots) {
    const path = join(root, entry);
    if (existsSync(path)) visit(path);
  }
  return [...new Set(files)].sort();
}

// 2000-01-01T00:00:00Z: a fixed time (tar warns about 1970) that carries no build information.
const FIXED_MTIME = 946_684_800;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One POSIX ustar header block. */
function header(path: string, size: number, mode: number): Buffer {
  const block = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long paths at a "/": prefix (<= 155 bytes) + name (<= 100 bytes).
    const cut = [...path.matchAll(/\//g)].map((match) => match.index).find((index) => Buffer.byteLength(path.slice(index + 1)) <= 100 && Buffer.byteLength(path.slice(0, index)) <= 155);
    if (cut === undefined) throw new Error(`path too long for a tar header: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode, 8), 100, 8, 'ascii');
  block.write(octal(0, 8), 108, 8, 'ascii');
  block.write(octal(0, 8), 116, 8, 'ascii');
  block.write(octal(size, 12), 124, 12, 'ascii');
  block.write(octal(FIXED_MTIME, 12), 136, 12, 'ascii');
  block.write('        ', 148, 8, 'ascii');
  block.write('0', 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write('root', 265, 32, 'ascii');
  block.write('root', 297, 32, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return block;
}

/** A ustar archive of `files` (relative paths under `root`). */
export function tarFiles(files: readonly string[], root = REPOSITORY_ROOT): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const path = join(root, file);
    const content = readFileSync(path);
    // Only the executable bit survives: umasks and checkouts differ between machines.
    const mode = statSync(path).mode & 0o100 ? 0o755 : 0o644;
    parts.push(header(file, content.length, mode), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface SourceArchive {
  /** The .tar.gz on disk (outside the repository). */
  path: string;
  /** sha256 of the uncompressed tar: stable across zlib versions. */
  hash: string;
  files: string[];
}

/**
 * Packs `roots` into `<tmp>/stockflow-cdk-sources/<name>-<hash>.tar.gz` (reused when present;
 * written under a temporary name then renamed, as parallel synths may read it). Archives of
 * older checkouts are removed after a day.
 */
export function buildSourceArchive(name: string, roots: readonly string[], root = REPOSITORY_ROOT): SourceArchive {
  const files = collectFiles(roots, root);
  if (files.length === 0) throw new Error(`no files to ship for ${name} (${roots.join(', ')})`);
  const tar = tarFiles(files, root);
  const hash = createHash('sha256').update(tar).digest('hex');
  const folder = join(tmpdir(), 'stockflow-cdk-sources');
  mkdirSync(folder, { recursive: true });
  const file = `${name}-${hash.slice(0, 16)}.tar.gz`;
  const path = join(folder, file);
  if (!existsSync(path)) {
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, gzipSync(tar, { level: 9 }));
    renameSync(partial, path);
  }
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const old of readdirSync(folder)) {
    if (old === file || !old.startsWith(`${name}-`)) continue;
    try {
      if (statSync(join(folder, old)).mtimeMs < dayAgo) rmSync(join(folder, old), { force: true });
    } catch {
      // Removed by a parallel synth meanwhile.
    }
  }
  return { path, hash, files };
}

/** What the Airflow host builds: infra/airflow/Dockerfile's context, the compose files and the DAG. */
export const AIRFLOW_HOST_SOURCES = ['.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build-cli.mjs', 'server', 'sql', 'infra/airflow'] as const;

/** What the panel image (infra/aws/panel.Dockerfile) builds from: the Next.js app and the CLI. */
export const PANEL_SOURCES = [
  '.dockerignore',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'next.config.ts',
  'app',
  'components',
  'public',
  'types',
  'bin',
  'server',
  'sql',
  'infra/aws/panel.Dockerfile',
] as const;

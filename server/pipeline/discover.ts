import { ObjectNotFoundError } from '../ports/object-store';
import type { LoadedVersion, LoadMode } from '../ports/stock-table';
import { parseCompanyList } from './company-list';
import { KEYS, type PipelineContext, StepInputError } from './context';
import { MAX_SHARDS, shardList } from './shard';
import { storeShardFileLists } from './shard-file-lists';
import { storedText } from './stored-text';
import { streamToString } from './streams';
import { findAppendCandidates, findUnchangedFiles } from './unchanged-files';

export interface DiscoveredFile {
  company: string;
  key: string;
  size: number;
  /** As listed; with the size, what tells a changed file (absent in results of older runs). */
  etag?: string;
  /** The shorter version the company's rows were loaded from: if the file starts with it, only its later rows are loaded (read-file.ts). */
  loaded?: LoadedVersion;
}

export interface DiscoveryResult {
  listKey: string;
  listed: number;
  files: DiscoveredFile[];
  /** Listed companies with no file under Stocks/. */
  missing: string[];
  /** Names listed twice or more (processed once). */
  duplicates: string[];
  /** List entries that name no company. */
  invalid: Array<{ line: number; raw: string; reason: string }>;
  /** Files under Stocks/ that the list does not name (skipped). */
  unlistedFiles: number;
  /** The source holds synthetic demo data (KEYS.demoMarker). Absent in results of older runs: false. */
  demo?: boolean;
  /** How the load treats companies outside the batch, fixed here for every later step. Absent: companies. */
  loadMode?: LoadMode;
  /** Listed files the table holds already, unchanged since they were loaded: their rows are carried over, not read (unchanged-files.ts). */
  unchanged?: DiscoveredFile[];
  /** The published run the unchanged files' rows and rejects are copied from. */
  carriedFrom?: string | null;
  /** Shards transform and load run as (1: the whole batch in one); fixed here. Absent in older results: 1. */
  shards?: number;
  /**
   * A sharded run whose load rebuilds the table anyway (a first load, or a batch of a quarter of
   * the table or more): shard 1's load loads every shard's part, in one transaction and one
   * rebuild, instead of each shard rebuilding a growing table in turn. Absent: each shard loads its own.
   */
  oneLoad?: boolean;
  /** Sharded runs: `files` and `unchanged` are empty here and kept per shard (shard-file-lists.ts); these are their lengths. */
  counts?: { files: number; unchanged: number };
}

/** Source bytes one shard takes on when the run's conf does not say (~11 M rows; the sample is 93 MB). */
export const SHARD_TARGET_BYTES = 512 * 1024 * 1024;

/** Shards for a batch: the conf's choice, else one per SHARD_TARGET_BYTES of source files. */
export function shardsForBatch(requested: number | undefined, files: readonly DiscoveredFile[]): number {
  if (requested !== undefined) return Math.min(requested, MAX_SHARDS);
  const bytes = files.reduce((total, file) => total + file.size, 0);
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(bytes / SHARD_TARGET_BYTES)));
}

/** About how many rows a batch's files hold (an average row is ~45 bytes of source): enough to tell a full batch from a few companies. */
export function estimatedRowsOf(files: readonly DiscoveredFile[]): number {
  // A file that may only have gained rows is counted by its new bytes.
  return Math.round(files.reduce((total, file) => total + file.size - (file.loaded?.size ?? 0), 0) / 45);
}

/** The shard list a run's steps are mapped over (what `stockflow step discover` prints for Airflow). */
export function shardsOf(discovery: Pick<DiscoveryResult, 'shards'>): string[] {
  return shardList(discovery.shards ?? 1);
}

/** File names tried for a company, in order of preference. */
export function candidateFileNames(company: string): string[] {
  return [`${company}.us.csv`, `${company}.us.txt`, `${company}.csv`];
}

/** A candidate name's preference by what follows the company: ".us.csv" 0, ".us.txt" 1, ".csv" 2. */
const CANDIDATE_RANK = new Map(candidateFileNames('').map((suffix, rank) => [suffix, rank]));

/** Step 1: read the company list and resolve each name to its file under Stocks/. */
export async function discover(context: PipelineContext): Promise<DiscoveryResult> {
  let listText: string;
  try {
    listText = await streamToString(await context.source.get(KEYS.companyList));
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new StepInputError(`Company list ${KEYS.companyList} not found in ${context.source.location}`);
    }
    throw error;
  }
  const list = parseCompanyList(listText);
  // Demo data until someone replaces the list (seed --from removes the marker; an upload of the
  // list through the panel or straight into the bucket leaves it, but makes the list newer).
  const [marker, listInfo] = await Promise.all([context.source.head(KEYS.demoMarker), context.source.head(KEYS.companyList)]);
  const demo = marker !== null && listInfo !== null && listInfo.lastModified.getTime() <= marker.lastModified.getTime();
  const loadMode = context.loadMode ?? 'companies';

  // Only objects the list can name are kept: a bucket of every ticker (or of intraday files) is
  // listed through, its memory bounded by the list, not by the bucket. A file's company is its
  // name up to the first dot (company names have none), the rest says which of the company's
  // candidate names it is; the most preferred one found is kept, per company.
  const companyIndex = new Map(list.companies.map(({ company }, index) => [company, index]));
  const found: Array<{ key: string; size: number; etag: string; rank: number } | undefined> = new Array(list.companies.length);
  let matchedFiles = 0;
  let otherFiles = 0;
  for await (const object of context.source.list(KEYS.stocksPrefix)) {
    const name = object.key.slice(KEYS.stocksPrefix.length);
    if (name.includes('/')) continue;
    const lowerName = name.toLowerCase();
    const dot = lowerName.indexOf('.');
    const index = dot > 0 ? companyIndex.get(lowerName.slice(0, dot)) : undefined;
    const rank = index === undefined ? undefined : CANDIDATE_RANK.get(lowerName.slice(dot));
    if (rank === undefined) {
      otherFiles += 1;
      continue;
    }
    matchedFiles += 1;
    const best = found[index!];
    if (!best || rank <= best.rank) found[index!] = { key: object.key, size: object.size, etag: object.etag, rank };
  }
  companyIndex.clear();

  const files: DiscoveredFile[] = [];
  const missing: string[] = [];
  for (const [index, { company }] of list.companies.entries()) {
    const file = found[index];
    if (file) files.push({ company, key: file.key, size: file.size, etag: file.etag });
    else missing.push(company);
  }
  found.length = 0;

  const { changed: changedFiles, unchanged, carriedFrom } = await findUnchangedFiles({ ...context, loadMode }, files);
  const changed = await findAppendCandidates({ ...context, loadMode }, changedFiles);
  const shards = shardsForBatch(context.shards, changed);
  const result: DiscoveryResult = {
    listKey: KEYS.companyList,
    listed: list.companies.length,
    files: changed,
    unchanged,
    carriedFrom,
    missing,
    duplicates: list.duplicates.map((entry) => entry.company),
    // Only invalid entries carry raw list text (names passed the ticker check): escaped and cut.
    invalid: list.invalid.map(({ line, raw, reason }) => ({ line, raw: storedText(raw), reason })),
    // Files of listed companies under a less preferred name count as not listed.
    unlistedFiles: otherFiles + matchedFiles - files.length,
    demo,
    loadMode,
    shards,
    ...(shards > 1 && (await context.stocks.wouldRebuild(estimatedRowsOf(changed))) ? { oneLoad: true } : {}),
  };
  context.log.log(
    'info',
    `discover: ${result.listed} companies listed, ${files.length} files found (${unchanged.length} unchanged since loaded), ${missing.length} missing, ` +
      `${result.duplicates.length} duplicate and ${result.invalid.length} invalid list entries`,
  );
  if (demo) context.log.log('info', `discover: ${context.source.location} holds synthetic demo data (${KEYS.demoMarker}); seed --from replaces it`);
  if (loadMode === 'replace') context.log.log('info', 'discover: load mode replace: the table will hold exactly this batch');
  if (shards > 1) {
    context.log.log(
      'info',
      result.oneLoad
        ? `discover: transform runs as ${shards} shards; their rows load as one (shard 1/${shards} loads every part: the load rebuilds the table anyway, once rather than once per shard)`
        : `discover: transform and load run as ${shards} shards`,
    );
  }
  if (missing.length > 0) context.log.log('warn', `discover: no file for ${preview(missing)}`);
  if (result.duplicates.length > 0) context.log.log('warn', `discover: listed more than once: ${preview(result.duplicates)}`);
  for (const entry of result.invalid.slice(0, 10)) {
    context.log.log('warn', `discover: ${KEYS.companyList} line ${entry.line}: ${entry.raw}: ${entry.reason}`);
  }
  return storeShardFileLists(context, result);
}

function preview(names: string[], limit = 20): string {
  return names.length <= limit ? names.join(', ') : `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}

import type { ObjectStore } from '../ports/object-store';
import type { LoadedFile } from '../ports/stock-table';
import { KEYS, type PipelineContext, StepInputError } from './context';
import { LineSplitter, parseCsvLine } from './csv';
import type { DiscoveredFile } from './discover';
import { readManifest } from './manifest-file';
import { uploadStream, writeChunk } from './streams';
import type { FileReport } from './transform';

/**
 * Re-runs skip unchanged files. A listed file is unchanged when the table's record of the file
 * its company's rows came from (stockflow.loaded_files, written in the load's transaction) has
 * the same key, ETag, size and transform version, and the published output carries that file's
 * rows: the run then copies those rows and rejects over from the published files instead of
 * reading, deriving and loading them again. `full` (conf, `--full`) reads every file.
 */

/** Raise when the transform derives rows differently: every file is then read again once. */
export const TRANSFORM_VERSION = 1;

export interface UnchangedFiles {
  changed: DiscoveredFile[];
  unchanged: DiscoveredFile[];
  /** The published run whose output and rejects the unchanged files' rows are copied from. */
  carriedFrom: string | null;
}

export async function findUnchangedFiles(context: PipelineContext, files: DiscoveredFile[]): Promise<UnchangedFiles> {
  const everything: UnchangedFiles = { changed: files, unchanged: [], carriedFrom: null };
  // replace makes the table exactly the batch: every file of it is loaded.
  if (context.full || context.loadMode === 'replace' || files.length === 0) return everything;
  // Each published report is checked as it is read and dropped: a run of 100,000 files publishes
  // as many reports, which are not held.
  const byCompany = new Map(files.map((file) => [file.company, file]));
  const published = new Set<string>();
  const manifest = await readManifest(context.source, KEYS.manifest, {
    keep: (report) => {
      const file = byCompany.get(report.company);
      if (file && report.status !== 'failed' && report.key === file.key && report.etag === file.etag) published.add(report.company);
      return false;
    },
  });
  if (!manifest || published.size === 0) return everything;
  const candidates = files.filter((file): file is DiscoveredFile & { etag: string } => published.has(file.company) && file.etag !== undefined);
  const loaded = await context.stocks.companiesLoadedFrom(candidates, TRANSFORM_VERSION);
  if (loaded.size === 0) return everything;
  const result: UnchangedFiles = { changed: [], unchanged: [], carriedFrom: manifest.runId };
  for (const file of files) (loaded.has(file.company) ? result.unchanged : result.changed).push(file);
  return result;
}

/**
 * Changed files whose company's rows were loaded from a shorter version of the same key (by this
 * transform version) get that version's size and SHA-256: reading the file tells whether it starts
 * with those bytes, i.e. only gained rows since (read-file.ts), and then only the new rows are loaded.
 */
export async function findAppendCandidates(context: PipelineContext, files: DiscoveredFile[]): Promise<DiscoveredFile[]> {
  if (context.full || context.loadMode === 'replace' || files.length === 0) return files;
  const versions = await context.stocks.loadedVersions(files, TRANSFORM_VERSION);
  if (versions.size === 0) return files;
  return files.map((file) => {
    const loaded = versions.get(file.company);
    return loaded && loaded.size > 0 && loaded.size < file.size ? { ...file, loaded } : file;
  });
}

/** The load's record of the files it took rows from: those read in this run (not carried, not failed). */
export function loadedFilesOf(reports: readonly FileReport[]): LoadedFile[] {
  return reports
    .filter((report) => !report.unchanged && report.status !== 'failed' && report.etag !== undefined && report.size !== undefined)
    .map((report) => ({ company: report.company, key: report.key, etag: report.etag!, size: report.size!, transformVersion: TRANSFORM_VERSION, ...(report.sha256 ? { sha256: report.sha256 } : {}) }));
}

/** Companies whose file only gained rows, with how many of its rows the table holds already (FileReport.rowsLoadedBefore). */
export function appendedCompaniesOf(reports: readonly FileReport[]): Map<string, { rowsBefore: number; loadedSha256: string }> {
  return new Map(
    reports.flatMap((report) =>
      report.rowsLoadedBefore === undefined || report.loadedSha256 === undefined || report.status === 'failed' || report.unchanged
        ? []
        : [[report.company, { rowsBefore: report.rowsLoadedBefore, loadedSha256: report.loadedSha256 }] as const],
    ),
  );
}

/** The rows a load takes from the reports' files: all they kept, less those of appended files the table holds already. */
export function rowsToLoadOf(reports: readonly FileReport[]): number {
  return reports.reduce((total, report) => (report.status === 'failed' || report.unchanged ? total : total + newRowsOf(report)), 0);
}

/** The rows of one file's that the table does not hold yet (all it kept, unless it only gained rows). */
export function newRowsOf(report: FileReport): number {
  return report.rowsKept - (report.rowsLoadedBefore ?? 0);
}

/** A report without what only concerned the load of the run that read it (a carried or failed file's). */
export function withoutAppendCheck(report: FileReport): FileReport {
  const { rowsLoadedBefore: _rowsBefore, loadedSha256: _checkedAgainst, ...rest } = report;
  return rest;
}

export interface CarriedFiles {
  reports: FileReport[];
  rows: number;
}

/**
 * Copies the unchanged files' rows (output lines, by their last field: the company) and rejects
 * (by their first field: the file) from the published files into the run's own, and their
 * reports from the published manifest.
 */
export async function carryUnchangedFiles(context: PipelineContext, files: readonly DiscoveredFile[], carriedFrom: string, keys: { output: string; rejects: string }): Promise<CarriedFiles> {
  const companies = new Set(files.map((file) => file.company));
  const published = await readManifest(context.source, KEYS.manifest, { keep: (report) => companies.has(report.company) });
  if (published?.runId !== carriedFrom) {
    throw new StepInputError(`Output/ no longer holds run ${carriedFrom}, whose rows this run carries over for unchanged files: start a new run`);
  }
  const fileKeys = new Set(files.map((file) => file.key));
  const lastField = (line: string): string => line.slice(line.lastIndexOf(',') + 1);
  const rows = await copyLines(context.source, KEYS.output, keys.output, (line) => companies.has(lastField(line)), false);
  await copyLines(
    context.source,
    KEYS.rejects,
    keys.rejects,
    (line) => {
      const parsed = parseCsvLine(line);
      return parsed.ok && fileKeys.has(parsed.fields[0] ?? '');
    },
    true,
  );
  // Carried as the published run read them, less what only concerned that run's load.
  const reports = published.files.map((report) => ({ ...withoutAppendCheck(report), unchanged: true }));
  if (reports.length !== companies.size) throw new StepInputError(`The published manifest of run ${carriedFrom} lacks some unchanged files' reports: start the run again with full`);
  return { reports, rows };
}

/** Writes the lines of `from` that `keep` accepts to `to` (with `from`'s first line when `header`); returns how many were kept. */
async function copyLines(source: ObjectStore, from: string, to: string, keep: (line: string) => boolean, header: boolean): Promise<number> {
  const { stream: output, done: upload } = uploadStream((body) => source.put(to, body, { contentType: 'text/csv' }), 1 << 20);
  let kept = 0;
  try {
    let batch: string[] = [];
    const splitter = new LineSplitter(({ number, text }) => {
      if ((header && number === 1) || (text.length > 0 && keep(text))) {
        batch.push(text);
        if (!(header && number === 1)) kept += 1;
      }
    });
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const text = `${batch.join('\n')}\n`;
      batch = [];
      await writeChunk(output, text);
    };
    for await (const chunk of await source.get(from)) {
      splitter.push(chunk as Buffer);
      await flush();
    }
    splitter.end();
    await flush();
    output.end();
    await upload;
  } catch (error) {
    output.destroy(error as Error);
    await upload.catch(() => {});
    throw error;
  }
  return kept;
}

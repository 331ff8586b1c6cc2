// Types of scripts/build-cli.mjs for the TypeScript callers (tests, the benchmark).
import type { Metafile } from 'esbuild';

export const BUNDLE_PATH: string;
export const FORBIDDEN_PACKAGES: string[];
export const LOCAL_BUNDLE: string;
export function forbiddenInputs(metafile: Metafile): string[];
export function buildCli(outDir?: string): Promise<{ outDir: string; bundle: string; metafile: Metafile }>;
export function buildLocalCli(outfile?: string): Promise<{ bundle: string; metafile: Metafile }>;
export function buildBenchRun(outfile?: string): Promise<string>;
export function dynamicallyImportedCommonJs(metafile: Metafile): string[];
export function bundleCli(options: { entry: string; outfile: string; plugins: import('esbuild').Plugin[]; splitting?: boolean }): Promise<{ metafile: Metafile }>;

import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';

import ts from 'typescript';

/**
 * The dependency rule of ../shared/DESIGN.md §3 (and docs/DEVELOPING.md), as data a test can check:
 *
 * - server/pipeline imports only server/pipeline, server/ports, Node built-ins and zod (it is the
 *   framework-free core shared by the CLI, the runner and the Airflow tasks);
 * - server/ports imports only server/ports and Node built-ins (interfaces, nothing that implements them);
 * - nothing in server/ imports React, Next.js, server-only, app/ or components/;
 * - components/ never imports server/adapters or server/db (not even a type: components draw what a
 *   read model returns); values from the rest of server/ only from browser-safe modules: ones whose
 *   own value imports, followed all the way, reach no Node built-in and no package but zod and
 *   papaparse (the pipeline's pure row rules, labels, constants). Anything else would pull pg or AWS
 *   clients into the browser bundle.
 * Test files may use test tools (a package rule does not apply to `*.test.ts`).
 */

export interface ImportRef {
  specifier: string;
  /** `import type`, `export type`, or `import('x').T` in a type: erased at run time. */
  typeOnly: boolean;
}

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** Every module a file names: static, type-only, re-exports, dynamic import(), import types and require(). */
export function collectImports(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allNamedTypes =
        !!clause &&
        !clause.name &&
        !!clause.namedBindings &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((element) => element.isTypeOnly);
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: !!clause?.isTypeOnly || allNamedTypes });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isDynamicImport || isRequire) found.push({ specifier: (node.arguments[0] as ts.StringLiteralLike).text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Where a specifier points: a repository path (`server/ports/logger`) or a package (`pg`, `node:fs`). */
export function resolveTarget(fromFile: string, specifier: string): { kind: 'local'; path: string } | { kind: 'package'; name: string } {
  if (specifier.startsWith('@/')) return { kind: 'local', path: posix.normalize(specifier.slice(2)) };
  if (specifier.startsWith('.')) return { kind: 'local', path: posix.normalize(posix.join(posix.dirname(fromFile), specifier)) };
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return { kind: 'package', name };
}

const within = (path: string, folder: string): boolean => path === folder || path.startsWith(`${folder}/`);
const isBuiltin = (name: string): boolean => name.startsWith('node:') || builtinModules.includes(name);
const FRAMEWORKS = ['react', 'react-dom', 'next', 'server-only', 'client-only'];

/** The rule a file breaks by naming this import, or null. */
export function ruleBroken(file: string, ref: ImportRef): string | null {
  const target = resolveTarget(file, ref.specifier);
  if (within(file, 'server')) {
    if (target.kind === 'package' && FRAMEWORKS.includes(target.name)) return 'server/ imports no React or Next.js';
    if (target.kind === 'local' && (within(target.path, 'app') || within(target.path, 'components'))) return 'server/ imports nothing from app/ or components/';
  }
  const isTest = /\.test\.tsx?$/.test(file);
  if (within(file, 'server/pipeline')) {
    if (target.kind === 'package' && !isTest && !isBuiltin(target.name) && target.name !== 'zod') return 'server/pipeline imports only server/pipeline, server/ports, Node built-ins and zod';
    if (target.kind === 'local' && !within(target.path, 'server/pipeline') && !within(target.path, 'server/ports'))
      return 'server/pipeline imports only server/pipeline, server/ports, Node built-ins and zod';
  }
  if (within(file, 'server/ports')) {
    if (target.kind === 'package' && !isTest && !isBuiltin(target.name)) return 'server/ports imports only server/ports and Node built-ins';
    if (target.kind === 'local' && !within(target.path, 'server/ports')) return 'server/ports imports only server/ports and Node built-ins';
  }
  if (within(file, 'components') && target.kind === 'local') {
    if (within(target.path, 'server/adapters') || within(target.path, 'server/db')) return 'components/ never import server/adapters or server/db';
  }
  return null;
}

const BROWSER_PACKAGES = ['zod', 'papaparse'];

/** The graph's file for a local import path (`x` -> `x.ts`, `x.tsx`, `x/index.ts`), if any. */
function fileOf(graph: ReadonlyMap<string, readonly ImportRef[]>, path: string): string | null {
  return [path, `${path}.ts`, `${path}.tsx`, `${path}/index.ts`].find((candidate) => graph.has(candidate)) ?? null;
}

/** What makes a module unsafe for the browser: the first forbidden import on its value-import paths, or null. */
export function browserUnsafeReason(graph: ReadonlyMap<string, readonly ImportRef[]>, path: string, seen = new Set<string>()): string | null {
  const file = fileOf(graph, path);
  if (!file) return `${path} is not a module of this repository`;
  if (seen.has(file)) return null;
  seen.add(file);
  for (const ref of graph.get(file)!) {
    if (ref.typeOnly) continue;
    const target = resolveTarget(file, ref.specifier);
    if (target.kind === 'package') {
      if (!BROWSER_PACKAGES.includes(target.name)) return `${file} imports ${ref.specifier}`;
    } else {
      if (within(target.path, 'server/adapters') || within(target.path, 'server/db')) return `${file} imports ${ref.specifier}`;
      const deeper = browserUnsafeReason(graph, target.path, seen);
      if (deeper) return deeper;
    }
  }
  return null;
}

export function checkImports(graph: ReadonlyMap<string, readonly ImportRef[]>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, refs] of graph) {
    for (const ref of refs) {
      const rule = ruleBroken(file, ref);
      if (rule) violations.push({ file, specifier: ref.specifier, rule });
      const target = resolveTarget(file, ref.specifier);
      if (!rule && within(file, 'components') && !ref.typeOnly && target.kind === 'local' && within(target.path, 'server')) {
        const unsafe = browserUnsafeReason(graph, target.path);
        if (unsafe) violations.push({ file, specifier: ref.specifier, rule: `components/ take values from server/ only from browser-safe modules (${unsafe})` });
      }
    }
  }
  return violations;
}

const SKIP = new Set(['node_modules', '.next', '.stockflow', 'cdk.out', 'dist', 'test-results', '.git']);

/** The import graph of every .ts/.tsx file in the repository, keyed by its path from the root (with /). */
export function repositoryImports(root: string): Map<string, ImportRef[]> {
  const graph = new Map<string, ImportRef[]>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name)) walk(path);
      } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        const key = relative(root, path).split(sep).join('/');
        graph.set(key, collectImports(key, readFileSync(path, 'utf8')));
      }
    }
  };
  walk(root);
  return graph;
}

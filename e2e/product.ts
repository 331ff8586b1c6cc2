import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';

import { type Browser, chromium, type Page } from 'playwright-core';

import { createTestDatabase, type TestDatabase } from '../test/helpers/postgres';
import { freePort } from '../test/helpers/tls-postgres';

/** The whole product as `npm start` runs it (on a test database), and a real Chromium. */
export interface RunningProduct {
  url: string;
  adminPassword: string;
  dataDir: string;
  database: TestDatabase;
  browser: Browser;
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Everything `stockflow start` (and the Next server under it) has printed so far. */
  output(): string;
  newPage(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  stop(): Promise<void>;
}

const SCREENSHOTS = resolve('test-results/screenshots');
export const E2E_EVENTS_SECRET = 'e2e-shared-secret-0123456789';

function env(database: TestDatabase, dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...extra,
    DATABASE_URL: database.url,
    STOCKFLOW_DATA_DIR: dataDir,
    STOCKFLOW_WATCH_INTERVAL_MS: '500',
    STOCKFLOW_RETRY_BACKOFF_MS: '100',
    STOCKFLOW_INSECURE_COOKIES: '1',
    STOCKFLOW_EVENTS_SECRET: E2E_EVENTS_SECRET,
    STOCKFLOW_EVENTS_BUCKET: 'stockflow-monitored',
  } as NodeJS.ProcessEnv;
}

/** Starts the product; on a database of the test's own when given (the test then drops it). */
export async function startProduct(extraEnv: Record<string, string> = {}, options: { database?: TestDatabase } = {}): Promise<RunningProduct> {
  const database = options.database ?? (await createTestDatabase('e2e'));
  const dataDir = await mkdtemp(join(tmpdir(), 'stockflow-e2e-'));
  // A free one: the machine's own services (MariaDB on 3306) sit in this range too.
  const port = await freePort(3200 + Math.floor(Math.random() * 500));
  const child: ChildProcess = spawn(process.execPath, [resolve('bin/stockflow.js'), 'start', '--port', String(port)], { env: env(database, dataDir, extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const adminPassword = await new Promise<string>((resolvePassword, reject) => {
    const timer = setTimeout(() => reject(new Error(`stockflow start did not come up:\n${output}`)), 280_000);
    const check = setInterval(() => {
      const found = /first admin: user "admin", password "([^"]+)"/.exec(output);
      if (found && /Ready in|Local:/.test(output)) {
        clearInterval(check);
        clearTimeout(timer);
        resolvePassword(found[1]!);
      }
    }, 200);
    child.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`stockflow start exited (${code}):\n${output}`));
    });
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(SCREENSHOTS, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    adminPassword,
    dataDir,
    database,
    browser,
    cli: (args) =>
      new Promise((resolveRun) => {
        const run = spawn(process.execPath, [resolve('bin/stockflow.js'), ...args], { env: env(database, dataDir, extraEnv) });
        let stdout = '';
        let stderr = '';
        run.stdout.on('data', (chunk) => (stdout += chunk));
        run.stderr.on('data', (chunk) => (stderr += chunk));
        run.on('close', (code) => resolveRun({ code, stdout, stderr }));
      }),
    output: () => output,
    newPage: async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(20_000);
      return page;
    },
    screenshot: (page, name) => screenshotAtTwoWidths(page, name),
    stop: async () => {
      await browser.close().catch(() => {});
      child.kill('SIGINT');
      await new Promise((resolveExit) => (child.exitCode !== null ? resolveExit(null) : child.once('exit', resolveExit)));
      if (!options.database) await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const PHONE = { width: 390, height: 844 };

/**
 * `<name>.png` at the page's own width and `<name>-390.png` at a phone's, then the page's own size
 * back. At 390 px the page must not scroll sideways (wide tables scroll inside their own box).
 */
async function screenshotAtTwoWidths(page: Page, name: string): Promise<void> {
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  try {
    // Charts resize through a ResizeObserver, a moment after the viewport: give the page a few
    // seconds to fit, and fail with the numbers if it never does.
    const fits = await page
      .waitForFunction((width) => window.innerWidth === width && document.documentElement.scrollWidth <= window.innerWidth, PHONE.width, { timeout: 5000 })
      .then(
        () => true,
        () => false,
      );
    const overflow = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-390.png`), fullPage: true });
    if (!fits) {
      throw new Error(`The ${name} page is wider than a 390 px phone screen: scrollWidth ${overflow.scrollWidth} > innerWidth ${overflow.innerWidth} (see ${name}-390.png)`);
    }
  } finally {
    await page.setViewportSize(original);
  }
}

export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/`);
}

/** Starts the product before the enclosing suite's tests and stops it after them; `use` receives it. */
export function withProduct(use: (product: RunningProduct) => void, extraEnv: Record<string, string> = {}): void {
  let started: RunningProduct | undefined;
  before(
    async () => {
      started = await startProduct(extraEnv);
      use(started);
    },
    { timeout: 300_000 },
  );
  after(async () => {
    await started?.stop();
  });
}

/** Adds a user with the CLI and opens a page signed in as them. */
export async function pageSignedInAs(product: RunningProduct, username: string, role: 'viewer' | 'operator' | 'admin', password: string): Promise<Page> {
  const added = await product.cli(['user', 'add', username, '--role', role, '--password', password]);
  if (added.code !== 0) throw new Error(`stockflow user add ${username} failed: ${added.stderr}`);
  const page = await product.newPage();
  await signIn(page, product.url, username, password);
  return page;
}

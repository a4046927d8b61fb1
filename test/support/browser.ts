import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';

/**
 * @sparticuz/chromium is an ES module package whose CommonJS build is what `require` finds; its types are the ES
 * module's, which TypeScript will not let a CommonJS file import, hence the declared shape.
 */
const chromium = require('@sparticuz/chromium') as { executablePath(): Promise<string>; args: string[] };

const ROOT = join(__dirname, '..', '..');
/** Screenshots of the pages under test, for people to look at (ignored by git). */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'portal');

/** Headless Chromium as @sparticuz/chromium ships it inside its npm package, driven by playwright-core. */
export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen since the last `takeProblems`. */
  takeProblems(): string[];
}

/** A page whose console errors and uncaught exceptions are collected, so a test can fail on any. */
export async function watchedPage(browser: Browser, options: { colorScheme?: 'light' | 'dark'; width?: number } = {}): Promise<WatchedPage> {
  const page = await browser.newPage({ colorScheme: options.colorScheme ?? 'light', viewport: { width: options.width ?? 1100, height: 800 } });
  let problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return {
    page,
    takeProblems: () => {
      const taken = problems;
      problems = [];
      return taken;
    },
  };
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * axe-core's serious and critical findings on the page as it is now. The script is evaluated through the
 * DevTools protocol, so the page's CSP (no inline scripts) stays in force.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)")) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

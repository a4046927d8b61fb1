import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot, seriousAxeViolations, watchedPage, type WatchedPage } from '../support/browser';
import { startHost, TIMERS_DISABLED, JWT_MODE, type RunningHost } from '../support/localHostProcess';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The My Access portal in real headless Chromium against the local host with its Graph emulator, but with
 * AUTH_MODE=jwt: the API then takes bearer tokens only, and the page has none to send (no App Service
 * Authentication session, and `?as=` hands the page an `x-ms-client-principal`, which jwt mode ignores).
 */
jest.setTimeout(120_000);


let host: RunningHost;
let browser: Browser;
let watched: WatchedPage;
let prefix: string;

beforeAll(async () => {
  prefix = `j${randomBytes(4).toString('hex')}`;
  [host, browser] = await Promise.all([
    startHost({
      ...TIMERS_DISABLED,
      AzureWebJobsStorage: testStorageConnectionString(),
      TABLE_PREFIX: prefix,
      ...JWT_MODE,
    }),
    launchBrowser(),
  ]);
  watched = await watchedPage(browser);
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('My Access under AUTH_MODE=jwt', () => {
  it('says it has no sign-in in this mode, whatever ?as= names, and calls nothing that would answer 401', async () => {
    const { page } = watched;
    const apiCalls: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/v1.0/') || new URL(request.url()).pathname.startsWith('/api/')) apiCalls.push(request.url());
    });

    for (const path of ['/myaccess', '/myaccess?as=alex.wilber%40contoso.com', '/myaccess?as=alex.wilber%40contoso.com#/approvals']) {
      await page.goto(`${host.url}${path}`);
      await page.waitForSelector('main h1');
      expect(await page.textContent('main h1')).toBe('My Access has no sign-in here');
      const text = await page.textContent('main');
      expect(text).toContain('AUTH_MODE=jwt');
      expect(text).toContain('?as=');
      // Neither the picker nor the pages, which could only fail.
      expect(await page.getByRole('link', { name: 'Alex Wilber' }).count()).toBe(0);
      expect(await page.getByRole('navigation', { name: 'My Access' }).count()).toBe(0);
    }
    expect(apiCalls).toEqual([]);
    expect(watched.takeProblems()).toEqual([]);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'jwt-no-sign-in');
  });

  it('is announced in the banner without the sign-in it does not have', () => {
    const myAccess = /^ {2}My Access: .*$/m.exec(host.output())?.[0];
    expect(myAccess).toBe(`  My Access: ${host.url}/myaccess (no sign-in with AUTH_MODE=jwt; ?as= and the identity picker need easyauth)`);
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TableServiceClient } from '@azure/data-tables';
import { archiveContainerName } from '../../shared/domain/archive/archiveLayout';
import { ArchiveContainer } from '../../shared/store/archiveContainer';
import { localArchiveKeyPath } from '../../tools/local-host/archiveKey';
import { findProjectRoot } from '../../tools/local-host/loadFunctions';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The archive through the local host as `npm start` runs it: without ARCHIVE_SIGNING_KEY it keeps a key in
 * .portcullis, `reportArchive` run through the admin endpoint writes a signed digest, and `npm run verify-archive`'s
 * program finds that key, passes the archive, and fails it (exit 1) once a file no digest names is planted.
 */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const ROOT = findProjectRoot();

let host: RunningHost;
let prefix: string;

beforeAll(async () => {
  prefix = `x${randomBytes(4).toString('hex')}`;
  host = await startHost({ AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix, ARCHIVE_SETTLE_SECONDS: '0', ...TIMERS_DISABLED });
});
afterAll(async () => {
  await host.stop();
  const container = new ArchiveContainer(testStorageConnectionString(), archiveContainerName(prefix));
  for await (const name of container.names()) await container.delete(name);
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

async function verifyArchive(): Promise<{ code: number; stdout: string }> {
  const program = join(ROOT, 'dist', 'tools', 'verify-archive', 'main.js');
  const env = { PATH: process.env.PATH, TABLE_PREFIX: prefix };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [program, '--connection-string', testStorageConnectionString(), '--events'], { cwd: ROOT, env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('the audit archive under the local host', () => {
  it('signs with the key the host keeps, and verify-archive passes it, then reports a planted file and exits 1', async () => {
    expect(existsSync(localArchiveKeyPath(ROOT))).toBe(true);
    await graphClientFor(host.url, clientPrincipal(ADMIN, TENANT)).api('/identityGovernance/entitlementManagement/catalogs').post({ displayName: 'Archived' });

    const response = await fetch(`${host.url}/admin/functions/reportArchive`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'Succeeded' });
    expect(host.output()).toMatch(/reportArchive: \{"hoursArchived":1,/);

    const passed = await verifyArchive();
    expect(passed.stdout).toMatch(/^digests\/\d{4}\/\d\d\/\d\d\/\d\d\.json: valid$/m);
    expect(passed.stdout).toContain('1/1 digest files valid, 0/0 event files valid, 0 sequence holes');
    expect(passed.code).toBe(0);

    const container = new ArchiveContainer(testStorageConnectionString(), archiveContainerName(prefix));
    await container.put('audit/2020/01/01/00/events-0001.jsonl', Buffer.from('{}\n'));
    const failed = await verifyArchive();
    expect(failed.stdout).toContain('audit/2020/01/01/00/events-0001.jsonl: INVALID: not named by any digest');
    expect(failed.code).toBe(1);
  });
});

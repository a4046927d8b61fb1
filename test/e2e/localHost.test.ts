import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';
import { ACCOUNT, ACCOUNT_KEY } from '../../tools/azurite/embeddedAzurite';
import { findProjectRoot } from '../../tools/local-host/loadFunctions';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { testStorageConnectionString } from '../support/testStorage';
import { embeddedTablePort, freePort, isListening, runHostToExit, startHost as startHostAlone, startScriptCommand, TIMERS, waitUntil, type RunningHost } from '../support/localHostProcess';

/**
 * Every test starts hosts of its own (on free ports, each with its own embedded Azurite unless told otherwise), so
 * they run at once, up to five (jest's maxConcurrency); a start-up beside the others takes longer, hence the longer
 * timeouts. The one start-up that is timed happens first, alone (beforeAll runs before concurrent tests start).
 */
jest.setTimeout(90_000);
const startHost = (settings: Record<string, string> = {}, command?: string[]) => startHostAlone(settings, command, 60_000);

interface TimedStart {
  host: RunningHost;
  health: Response;
  /** From the start of `npm start` to health's answer. */
  elapsedMs: number;
}
let timedStart: Promise<TimedStart>;
beforeAll(async () => {
  timedStart = (async () => {
    const started = Date.now();
    const host = await startHostAlone();
    try {
      return { host, health: await fetch(`${host.url}/api/health`), elapsedMs: Date.now() - started };
    } catch (error) {
      await host.stop();
      throw error;
    }
  })();
  // A failed start-up fails the test that times it, not the file.
  await timedStart.catch(() => undefined);
}, 60_000);
afterAll(async () => {
  // Stopped by its test already, unless that test was filtered out or failed before it stopped it.
  await (await timedStart.catch(() => undefined))?.host.stop('SIGINT');
});

const runTimer = (url: string, name: string) =>
  fetch(`${url}/admin/functions/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"input":""}',
  });

describe('npm start, with no settings', () => {
  it.concurrent('serves health, runs timers through the admin endpoint, and leaves nothing listening after Ctrl-C', async () => {
    const { host, health, elapsedMs } = await timedStart;
    try {
      expect(health.status).toBe(200);
      expect(elapsedMs).toBeLessThan(30_000);
      expect(await health.json()).toMatchObject({
        status: 'healthy',
        dependencies: { storage: { status: 'up' }, directory: { status: 'up' } },
      });
      expect(health.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);

      expect((await runTimer(host.url, 'noSuchTimer')).status).toBe(404);
      const sweep = await runTimer(host.url, 'expirationSweep');
      expect(sweep.status).toBe(202);
      expect(await sweep.json()).toMatchObject({ functionName: 'expirationSweep', status: 'Succeeded' });
      expect(host.output()).toMatch(/Executed 'expirationSweep' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)/);

      const unknown = await fetch(`${host.url}/v1.0/nothing`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 'itemNotFound' } });
      const wrongMethod = await fetch(`${host.url}/api/health`, { method: 'DELETE' });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('GET');
    } finally {
      const tablePort = embeddedTablePort(host.output());
      expect(await host.stop('SIGINT')).toBe(0);
      expect(await isListening(host.port)).toBe(false);
      expect(await waitUntil(async () => !(await isListening(tablePort)), 5000)).toBe(true);
    }
  });

  it.concurrent('prints its URLs, storage and every function with its schedule', async () => {
    const host = await startHost();
    try {
      const banner = host.output();
      expect(banner).toContain(`Health:    ${host.url}/api/health`);
      expect(banner).toContain(`My Access: ${host.url}/myaccess (sign in as a demo identity, or add ?as=<user id or UPN>)`);
      expect(banner).toMatch(/Storage:\s+embedded Azurite, in memory/);
      expect(banner).toMatch(/Directory:\s+Graph emulator at http:\/\/127\.0\.0\.1:\d+, tenant [0-9a-f-]{36} from .*demo-tenant\.json/);
      expect(banner).toMatch(/Identity Governance Administrator\s+\S+@contoso\.com/);
      for (const timer of TIMERS) {
        expect(banner).toMatch(new RegExp(`${timer}\\s+timer\\s+\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\s+next \\d{4}-`));
      }
      expect(banner).not.toContain('test mode');
    } finally {
      expect(await host.stop('SIGTERM')).toBe(0);
    }
  });

  it.concurrent('prints the verify-archive command that reaches its embedded Azurite, and that command passes the archive', async () => {
    // A TABLE_PREFIX given to npm start alone (not to verify-archive's shell) names the container: the command says it.
    const host = await startHost({ TABLE_PREFIX: 'Newcomer' });
    try {
      const printed = /Verify the audit archive \(while this runs\): npm run verify-archive -- --connection-string '([^']+)' --container (\S+)$/m.exec(host.output());
      expect(printed?.[1]).toContain(`AccountName=${ACCOUNT}`);
      expect(printed?.[2]).toBe('newcomer-audit-archive');
      expect((await runTimer(host.url, 'reportArchive')).status).toBe(202);

      // The printed command after its build: the compiled program, with the printed arguments, from the project.
      const program = join(findProjectRoot(), 'dist', 'tools', 'verify-archive', 'main.js');
      const { stdout } = await promisify(execFile)(process.execPath, [program, '--connection-string', printed![1]!, '--container', printed![2]!], {
        cwd: findProjectRoot(),
        env: { PATH: process.env.PATH },
      });
      expect(stdout).toMatch(/^digests\/\d{4}\/\d\d\/\d\d\/\d\d\.json: valid$/m);
      expect(stdout).toMatch(/^(\d+)\/\1 digest files valid/m);
    } finally {
      expect(await host.stop('SIGTERM')).toBe(0);
    }
  });

  it.concurrent("mails from the emulated tenant's first administrator also when MAIL_SENDER is empty, as local.settings.sample.json has it", async () => {
    // Empty values count as unset (README "Settings"): a copy of the sample must not turn the demo's mail off.
    const host = await startHost({ MAIL_SENDER: '' });
    try {
      const admin = graphClientFor(host.url, clientPrincipal('0ba75e63-2205-4ad7-bd66-c01f47376eb4', 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd'));
      const em = '/identityGovernance/entitlementManagement';
      const { id: catalogId } = await admin.api(`${em}/catalogs`).post({ displayName: 'Mailed' });
      const { id: packageId } = await admin.api(`${em}/accessPackages`).post({ displayName: 'Mailed package', catalog: { id: catalogId } });
      const { id: policyId } = await admin.api(`${em}/assignmentPolicies`).post({
        displayName: 'Direct',
        allowedTargetScope: 'notSpecified',
        requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
        accessPackage: { id: packageId },
      });
      const sofia = '3f0279a1-abe7-420e-89e0-b9583a589e65';
      await admin.api(`${em}/assignmentRequests`).post({ requestType: 'adminAdd', assignment: { targetId: sofia, accessPackageId: packageId, assignmentPolicyId: policyId } });

      const outbox = async () => ((await (await fetch(`${host.emulatorUrl}/_emulator/outbox`)).json()) as { value: Array<{ from: string }> }).value;
      expect(await waitUntil(async () => (await outbox()).length > 0, 10_000)).toBe(true);
      expect((await outbox()).map((mail) => mail.from)).toContain('admin@contoso.com');
    } finally {
      expect(await host.stop('SIGTERM')).toBe(0);
    }
  });

  it.concurrent('leaves a timer disabled by AzureWebJobs.<name>.Disabled off its schedule, and still runs it when asked', async () => {
    const host = await startHost({ 'AzureWebJobs.expirationSweep.Disabled': 'true' });
    try {
      expect(host.output()).toMatch(/expirationSweep\s+timer\s+\S+ \S+ \S+ \S+ \S+ \S+\s+disabled/);
      expect(host.output()).toMatch(/reconcileSweep\s+timer\s+\S+ \S+ \S+ \S+ \S+ \S+\s+next \d{4}-/);
      const run = await fetch(`${host.url}/admin/functions/expirationSweep`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
      expect(run.status).toBe(202);
    } finally {
      expect(await host.stop('SIGTERM')).toBe(0);
    }
  });

  it.concurrent("stops on SIGTERM sent to the start script's shell, as npm sends it", async () => {
    const host = await startHost({}, startScriptCommand());
    const tablePort = embeddedTablePort(host.output());
    expect(await host.stop('SIGTERM')).toBe(0);
    expect(await isListening(host.port)).toBe(false);
    expect(await waitUntil(async () => !(await isListening(tablePort)), 5000)).toBe(true);
  });

  it.concurrent('stops its Azurite even when it is killed outright', async () => {
    const host = await startHost();
    const tablePort = embeddedTablePort(host.output());
    await host.stop('SIGKILL');
    expect(await waitUntil(async () => !(await isListening(tablePort)), 10_000)).toBe(true);
  });
});

describe('npm start, with AZURITE_LOCATION', () => {
  it.concurrent('keeps its data in that folder across restarts', async () => {
    const location = mkdtempSync(join(tmpdir(), 'portcullis-azurite-'));
    const tableIn = (output: string) =>
      new TableClient(`http://127.0.0.1:${embeddedTablePort(output)}/${ACCOUNT}`, 'keptAcrossRestarts', new AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY), {
        allowInsecureConnection: true,
      });
    const first = await startHost({ AZURITE_LOCATION: location });
    try {
      expect(first.output()).toContain(`embedded Azurite, in ${location}`);
      const table = tableIn(first.output());
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', kept: 'yes' });
    } finally {
      await first.stop();
    }
    const second = await startHost({ AZURITE_LOCATION: location });
    try {
      expect((await tableIn(second.output()).getEntity<{ kept: string }>('p', 'r')).kept).toBe('yes');
    } finally {
      await second.stop();
    }
  });
});

describe('npm start, with a storage account configured', () => {
  it.concurrent('uses it and starts no Azurite of its own', async () => {
    const host = await startHost({ AzureWebJobsStorage: testStorageConnectionString() });
    try {
      expect(host.output()).toMatch(/Storage:\s+the storage account in AzureWebJobsStorage/);
      // verify-archive reads the same AzureWebJobsStorage: nothing to print.
      expect(host.output()).not.toContain('Verify the audit archive');
      expect((await fetch(`${host.url}/api/health`)).status).toBe(200);
    } finally {
      await host.stop();
    }
  });

  it.concurrent('answers health with 503 naming storage when storage does not answer', async () => {
    const deadPort = await freePort();
    const host = await startHost({
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:${deadPort}/devstoreaccount1`,
    });
    try {
      const health = await fetch(`${host.url}/api/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unhealthy', failed: ['storage'] });
    } finally {
      await host.stop();
    }
  });
});

describe('npm start, with a bad setting', () => {
  it.concurrent.each([
    ['AUTH_MODE', { AUTH_MODE: 'basic' }],
    ['AUTH_JWKS_URL', { AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://issuer', AUTH_AUDIENCE: 'api://p' }],
    ['AUTH_ISSUER', { AUTH_MODE: 'jwt', AUTH_JWKS_URL: 'https://keys.example/jwks', AUTH_AUDIENCE: 'api://p' }],
    ['AUTH_AUDIENCE', { AUTH_MODE: 'jwt', AUTH_JWKS_URL: 'https://keys.example/jwks', AUTH_ISSUER: 'https://issuer' }],
    ['PORT', { PORT: 'seventy' }],
    ['GRAPH_BASE_URL', { GRAPH_BASE_URL: 'graph.microsoft.com' }],
    ['GRAPH_EMULATOR_PORT', { GRAPH_EMULATOR_PORT: '99999' }],
    ['TENANT_ID', { TENANT_ID: 'contoso.com' }],
    ['TENANT_ID', { GRAPH_BASE_URL: 'https://graph.microsoft.com' }],
    ['AzureWebJobsStorage', { AzureWebJobsStorage: 'garbage' }],
    ['HR_WEBHOOK_SECRET', { HR_WEBHOOK_SECRET: 'tooshort' }],
    ['TABLE_PREFIX', { TABLE_PREFIX: '1abc' }],
    ['DIRECTORY_SEED', { DIRECTORY_SEED: '/no/such/tenant.json' }],
    ['GRAPH_EMULATOR_FAULTS', { GRAPH_EMULATOR_FAULTS: '{"rate":' }],
  ])('refuses to start, naming %s', async (setting, settings) => {
    const { code, stderr } = await runHostToExit(settings);
    expect(code).toBe(1);
    expect(stderr).toContain('Portcullis did not start.');
    expect(stderr).toContain(`${setting}:`);
  });

  it.concurrent('refuses to start when PORT is taken, naming PORT, and stops the Azurite it started', async () => {
    const first = await startHost();
    try {
      const { code, stdout, stderr } = await runHostToExit({ PORT: String(first.port) });
      expect(code).toBe(1);
      expect(stderr).toContain(`PORT: ${first.port} is already in use`);
      expect(await isListening(embeddedTablePort(stdout))).toBe(false);
    } finally {
      await first.stop();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { loadConfig } from '../../shared/config';
import { buildDeps } from '../../shared/composition';
import { checkHealth } from '../../shared/operations/checkHealth';
import { startGraphEmulator } from '../../tools/graph-emulator/server';
import { freePort } from '../support/localHostProcess';
import { CONTRACT_FIXTURE } from '../support/contractTenant';
import { testStorageConnectionString } from '../support/testStorage';

describe('health of the real dependencies', () => {
  it('is healthy when storage (Azurite) and the directory (emulator) answer', async () => {
    const emulator = await startGraphEmulator({ seed: CONTRACT_FIXTURE, port: 0 });
    try {
      const config = loadConfig({ AUTH_MODE: 'easyauth', AzureWebJobsStorage: testStorageConnectionString(), GRAPH_EMULATOR_PORT: new URL(emulator.url).port });
      const report = await checkHealth(buildDeps(config).dependencyProbes);
      expect(report).toMatchObject({ status: 'healthy', failed: [] });
      expect(Object.keys(report.dependencies)).toEqual(['storage', 'directory']);
    } finally {
      await emulator.stop();
    }
  });

  it('is degraded, counting them, when a sweep parked due items', async () => {
    const emulator = await startGraphEmulator({ seed: CONTRACT_FIXTURE, port: 0 });
    const prefix = `h${randomBytes(4).toString('hex')}`;
    const config = loadConfig({ AUTH_MODE: 'easyauth', AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix, GRAPH_EMULATOR_PORT: new URL(emulator.url).port });
    const deps = buildDeps(config);
    try {
      expect(await checkHealth(deps.dependencyProbes, { parkedWork: deps.parkedWork })).toMatchObject({ status: 'healthy', parkedWork: 0 });
      const now = DateTime.utc();
      await deps.entitlements.redeliveries.schedule({ kind: 'redelivery', dueDateTime: now.toISO()!, entityId: 'a1', detail: '' });
      const [item] = await deps.entitlements.redeliveries.dueBy(now, undefined);
      await deps.entitlements.redeliveries.park(item!, now);
      expect(await checkHealth(deps.dependencyProbes, { parkedWork: deps.parkedWork })).toMatchObject({ status: 'degraded', failed: [], parkedWork: 1 });
    } finally {
      await emulator.stop();
      await deps.tables.deleteAll();
    }
  });

  it('names the directory when it does not answer', async () => {
    const config = loadConfig({ AUTH_MODE: 'easyauth', AzureWebJobsStorage: testStorageConnectionString(), GRAPH_EMULATOR_PORT: String(await freePort()) });
    const report = await checkHealth(buildDeps(config).dependencyProbes, { timeoutMs: 5000 });
    expect(report).toMatchObject({ status: 'unhealthy', failed: ['directory'], dependencies: { storage: { status: 'up' } } });
  });
});

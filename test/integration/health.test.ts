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

  it('names the directory when it does not answer', async () => {
    const config = loadConfig({ AUTH_MODE: 'easyauth', AzureWebJobsStorage: testStorageConnectionString(), GRAPH_EMULATOR_PORT: String(await freePort()) });
    const report = await checkHealth(buildDeps(config).dependencyProbes, { timeoutMs: 5000 });
    expect(report).toMatchObject({ status: 'unhealthy', failed: ['directory'], dependencies: { storage: { status: 'up' } } });
  });
});

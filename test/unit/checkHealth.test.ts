import { checkHealth } from '../../shared/operations/checkHealth';

describe('health check', () => {
  it('is healthy when every dependency answers', async () => {
    const report = await checkHealth([{ name: 'storage', probe: async () => undefined }]);
    expect(report).toMatchObject({ status: 'healthy', failed: [], dependencies: { storage: { status: 'up' } } });
  });

  it('names the dependency that failed, with its error', async () => {
    const report = await checkHealth([
      { name: 'storage', probe: async () => undefined },
      { name: 'directory', probe: async () => Promise.reject(new Error('connect ECONNREFUSED')) },
    ]);
    expect(report.status).toBe('unhealthy');
    expect(report.failed).toEqual(['directory']);
    expect(report.dependencies.directory).toMatchObject({ status: 'down', error: 'connect ECONNREFUSED' });
  });

  it('counts a dependency that hangs as down once the timeout passes', async () => {
    const report = await checkHealth([{ name: 'storage', probe: () => new Promise<void>(() => undefined) }], { timeoutMs: 50 });
    expect(report.failed).toEqual(['storage']);
    expect(report.dependencies.storage?.error).toMatch(/did not answer within 50 ms/);
  });

  it('is degraded, not unhealthy, when the dependencies answer but sweeps parked work', async () => {
    const report = await checkHealth([{ name: 'storage', probe: async () => undefined }], { parkedWork: async () => 2 });
    expect(report).toMatchObject({ status: 'degraded', failed: [], parkedWork: 2 });
  });
});

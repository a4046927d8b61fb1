import { buildDeps } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { startCountingProxy, type CountingProxy } from '../../tools/bench/countingProxy';
import type { InProcessOperations } from './inProcessOperations';
import { testStorageConnectionString } from './testStorage';

export interface CountedOperations {
  /** The world's operations (its tables, its emulator, its clock), their Table Storage calls through `proxy`. */
  deps: EntitlementDeps;
  proxy: CountingProxy;
}

/**
 * The in-process world's operations with Table Storage behind the benchmark's counting proxy, so a test pins what an
 * operation costs in round trips (a read or write added fails it). Started after the world, before the file's tests,
 * closed after them; `settings` are added to the configuration.
 */
export function countedOperationsForFile(world: () => InProcessOperations, started: (counted: CountedOperations) => void, settings: Record<string, string> = {}): void {
  let proxy: CountingProxy | undefined;
  beforeAll(async () => {
    const { prefix, emulator, now } = world();
    const direct = testStorageConnectionString();
    const tableEndpoint = /TableEndpoint=([^;]+)/.exec(direct)![1]!;
    proxy = await startCountingProxy(new URL(tableEndpoint).origin);
    const config = loadConfig({
      AzureWebJobsStorage: direct.replace(tableEndpoint, `${proxy.url}${new URL(tableEndpoint).pathname}`),
      TABLE_PREFIX: prefix,
      AUTH_MODE: 'easyauth',
      GRAPH_EMULATOR_PORT: String(new URL(emulator.url).port),
      TENANT_ID: 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd',
      ...settings,
    });
    started({ deps: { ...buildDeps(config).entitlements, clock: { now } }, proxy });
  });
  afterAll(() => proxy?.close());
}

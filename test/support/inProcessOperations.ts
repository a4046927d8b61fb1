import { randomBytes } from 'node:crypto';
import { DateTime, type DurationLike } from 'luxon';
import { buildDeps } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { Tables } from '../../shared/store/tables';
import { demoTenantPath, loadTenantFixture } from '../../tools/graph-emulator/fixture';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';
import { testStorageConnectionString } from './testStorage';

/** The entitlement operations in-process, with a clock the test moves. */
export interface InProcessOperations {
  emulator: GraphEmulator;
  deps: EntitlementDeps;
  /** The table prefix of its storage. */
  prefix: string;
  now(): DateTime;
  /** Moves the operations' clock on; answers the new time. */
  advance(duration: DurationLike): DateTime;
  /** Stops the emulator and removes the tables. */
  stop(): Promise<void>;
}

/** On Azurite, under a table prefix of their own, and a Graph emulator seeded with the demo tenant (or `seed`). */
export async function startInProcessOperations(seed = loadTenantFixture(demoTenantPath())): Promise<InProcessOperations> {
  const emulator = await startGraphEmulator({ seed, port: 0 });
  const prefix = `p${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    AzureWebJobsStorage: testStorageConnectionString(),
    TABLE_PREFIX: prefix,
    AUTH_MODE: 'easyauth',
    GRAPH_EMULATOR_PORT: String(new URL(emulator.url).port),
    TENANT_ID: 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd',
  });
  let now = DateTime.utc();
  const tables = new Tables(testStorageConnectionString(), prefix);
  return {
    emulator,
    prefix,
    deps: { ...buildDeps(config).entitlements, clock: { now: () => now } },
    now: () => now,
    advance: (duration) => (now = now.plus(duration)),
    stop: async () => {
      await emulator.stop();
      await tables.deleteAll();
    },
  };
}

/**
 * A test file's operations: started before its tests (handed to `started`, which keeps what the file uses) and
 * stopped after them.
 */
export function inProcessOperationsForFile(started: (world: InProcessOperations) => void, seed?: Parameters<typeof startInProcessOperations>[0]): void {
  let world: InProcessOperations | undefined;
  beforeAll(async () => {
    world = await startInProcessOperations(seed);
    started(world);
  });
  afterAll(() => world?.stop());
}

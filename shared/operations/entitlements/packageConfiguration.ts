import { DateTime } from 'luxon';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { PackageConfiguration, PackageSnapshot } from '../../store/entitlementStore';
import { filter } from '../../store/odataFilter';
import { tableKey } from '../../store/tableKeys';
import type { EntitlementDeps } from './entitlementDeps';

/**
 * A package's configuration (the package, its policies, its role scopes, what is incompatible with it) read as one
 * row by the request pipeline, instead of six reads of four tables (issue 19 item 1). Not a cache with a lifetime:
 * every operation that changes one of these runs inside `changingPackageConfiguration`, which takes the snapshot
 * away before the change and writes it again after, so a snapshot that is there is what the tables say now.
 *
 * The protocol, on the one row (conditional writes on its ETag):
 * - a writer adds itself to `changing` and drops the snapshot, then changes the tables, then takes itself out; the
 *   last writer out (none other in `changing`) reads the tables and writes the snapshot, on the ETag it read
 *   before reading them, so a writer that came in meanwhile makes that write fail and writes its own after;
 * - a reader that finds no snapshot reads the tables (as before this row existed: rows of older versions, a
 *   package never read since) and, when no writer is in `changing`, writes what it read on the ETag it read first:
 *   a writer that came in meanwhile makes that fail.
 * So a snapshot is only ever written from reads made after every change begun before them had ended. Crash window:
 * a writer that stops leaves itself in `changing`, and readers read the tables until its entry is abandoned (an
 * Azure Functions invocation ends within 10 minutes, host.json `functionTimeout`); then one is written again.
 * The row of a deleted package stays, without a snapshot (a tombstone): were it deleted, a reader that found no row
 * before the package's last change could insert what it read then, and nothing would take it away again.
 * A snapshot serves for SNAPSHOT_LIFETIME only, then is read again from the tables: what changed them outside this
 * protocol (an instance of a version before it, still running while a new one is deployed) shows within that time.
 */
const ABANDONED_AFTER = { minutes: 10 };
const SNAPSHOT_LIFETIME = { minutes: 5 };
const ROW = tableKey('configuration');

/** The package's configuration as the tables say now; undefined when the package does not exist. */
export async function packageConfigurationOf(deps: EntitlementDeps, packageId: string): Promise<PackageSnapshot | undefined> {
  const stored = await deps.store.packageConfigurations.get(tableKey(packageId), ROW);
  const kept = current(deps, stored);
  if (kept) return remembered(deps, packageId, kept);
  return readFromTables(deps, packageId, stored);
}

/**
 * packageConfigurationOf, but 'changing' while a change of the configuration is under way (a writer in the row, not
 * abandoned), instead of the tables as that change has left them so far: for whoever must know the configuration
 * as it is once no change is under way (policyCheckOfDelivering, carryOutAtOnce.ts), and can wait.
 */
export async function settledPackageConfiguration(deps: EntitlementDeps, packageId: string): Promise<PackageSnapshot | undefined | 'changing'> {
  const stored = await deps.store.packageConfigurations.get(tableKey(packageId), ROW);
  const kept = current(deps, stored);
  if (kept) return remembered(deps, packageId, kept);
  if (liveWriters(deps, stored).length > 0) return 'changing';
  return readFromTables(deps, packageId, stored);
}

/** The tables' answer, kept in the row (`stored` as read before) when no writer is in it. */
async function readFromTables(deps: EntitlementDeps, packageId: string, stored: StoredDocument<PackageConfiguration> | undefined): Promise<PackageSnapshot | undefined> {
  const snapshot = await readSnapshot(deps, packageId);
  if (snapshot && liveWriters(deps, stored).length === 0) await keep(deps, packageId, stored, snapshot).catch(() => undefined);
  return remembered(deps, packageId, snapshot);
}

/**
 * The snapshot as kept, without reading the tables when there is none: one read. A snapshot there means no change
 * of the package's configuration is under way now (a policy's delete included: it runs inside
 * `changingPackageConfiguration` from before its deletion mark to after the policy is gone).
 */
export async function keptPackageConfiguration(deps: EntitlementDeps, packageId: string): Promise<PackageSnapshot | undefined> {
  return remembered(deps, packageId, current(deps, await deps.store.packageConfigurations.get(tableKey(packageId), ROW)));
}

/**
 * The configuration this instance read last for the package, within the last minute (rememberedConfigurations.ts),
 * without reading: a hint only, for a request to be decided from and then checked after its write (carryOutAtOnce.ts).
 */
export function rememberedPackageConfiguration(deps: EntitlementDeps, packageId: string): PackageSnapshot | undefined {
  return deps.rememberedConfigurations.recall(packageId, deps.clock.now());
}

/** Every read of the row refreshes the memory: what it found, or nothing (a change under way, the package gone). */
function remembered(deps: EntitlementDeps, packageId: string, read: PackageSnapshot | undefined): PackageSnapshot | undefined {
  if (read) deps.rememberedConfigurations.remember(packageId, read, deps.clock.now());
  else deps.rememberedConfigurations.forget(packageId);
  return read;
}

/** Every package's snapshot as kept (keptPackageConfiguration for all, in one listing), by lower-cased package id. */
export async function keptPackageConfigurations(deps: EntitlementDeps): Promise<Map<string, PackageSnapshot>> {
  const kept = new Map<string, PackageSnapshot>();
  for (const stored of await deps.store.packageConfigurations.list({ filter: filter`RowKey eq ${ROW}` })) {
    const snapshot = current(deps, stored);
    if (snapshot) kept.set(snapshot.accessPackage.id.toLowerCase(), snapshot);
  }
  return kept;
}

/** The row's snapshot while it serves (SNAPSHOT_LIFETIME). */
function current(deps: EntitlementDeps, stored: StoredDocument<PackageConfiguration> | undefined): PackageSnapshot | undefined {
  const { snapshot, keptAt } = stored?.value ?? {};
  if (!snapshot || keptAt === undefined) return undefined;
  return DateTime.fromISO(keptAt) > deps.clock.now().minus(SNAPSHOT_LIFETIME) ? snapshot : undefined;
}

/**
 * Runs a change of what the configuration of these packages holds (a policy, a role scope, an incompatibility,
 * the package itself), with their snapshots taken away before it and written again after (see above). Should
 * writing the snapshot fail afterwards, the package is read from the tables until a reader writes it.
 */
export async function changingPackageConfiguration<T>(deps: EntitlementDeps, packageIds: readonly string[], work: () => Promise<T>): Promise<T> {
  const writer = deps.newId();
  const ids = [...new Set(packageIds)];
  // This instance forgets what it remembers of them, before (its requests meanwhile read the row) and after (one
  // may have remembered what it read during the change), so that its next request needs no decision made again.
  for (const id of ids) deps.rememberedConfigurations.forget(id);
  for (const id of ids) await markChanging(deps, id, writer);
  try {
    return await work();
  } finally {
    for (const id of ids) await finishChange(deps, id, writer).catch(() => undefined);
    for (const id of ids) deps.rememberedConfigurations.forget(id);
  }
}

/** How many times a write of the row is tried again after another writer's changed it first. */
const ATTEMPTS = 10;

async function markChanging(deps: EntitlementDeps, packageId: string, writer: string): Promise<void> {
  const { packageConfigurations } = deps.store;
  for (let attempt = 1; ; attempt++) {
    const stored = await packageConfigurations.get(tableKey(packageId), ROW);
    const changing = Object.fromEntries([...liveWriters(deps, stored), [writer, deps.clock.now().toUTC().toISO()!]]);
    try {
      await (stored ? packageConfigurations.replace(stored, { changing, snapshot: null }) : packageConfigurations.insert(tableKey(packageId), ROW, { changing, snapshot: null }));
      return;
    } catch (error) {
      if (!isRace(error) || attempt >= ATTEMPTS) throw error;
    }
  }
}

async function finishChange(deps: EntitlementDeps, packageId: string, writer: string): Promise<void> {
  const { packageConfigurations } = deps.store;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const stored = await packageConfigurations.get(tableKey(packageId), ROW);
    if (!stored) return;
    const others = liveWriters(deps, stored).filter(([id]) => id !== writer);
    try {
      if (others.length > 0) await packageConfigurations.replace(stored, { changing: Object.fromEntries(others), snapshot: null });
      else {
        const snapshot = await readSnapshot(deps, packageId);
        // A package deleted leaves its row without a snapshot (a tombstone; see above).
        if (snapshot) await keep(deps, packageId, stored, snapshot);
        else await packageConfigurations.replace(stored, { changing: {}, snapshot: null });
      }
      return;
    } catch (error) {
      if (!isRace(error)) throw error;
    }
  }
}

/**
 * Writes the snapshot on the row's ETag (or as a new row); one too large to keep leaves the row without one, written
 * only when that changes the row (else every reader of such a package would write it, and writers lose their races).
 */
async function keep(deps: EntitlementDeps, packageId: string, stored: StoredDocument<PackageConfiguration> | undefined, snapshot: PackageSnapshot): Promise<void> {
  const { packageConfigurations } = deps.store;
  const write = (value: PackageConfiguration) => (stored ? packageConfigurations.replace(stored, value) : packageConfigurations.insert(tableKey(packageId), ROW, value));
  try {
    await write({ changing: {}, snapshot, keptAt: deps.clock.now().toUTC().toISO()! });
  } catch (error) {
    if (isRace(error)) throw error;
    if (stored && stored.value.snapshot === null && Object.keys(stored.value.changing).length === 0) return;
    await write({ changing: {}, snapshot: null });
  }
}

/** The tables' answer: six reads (the package's locator and row, policies, role scopes, incompatibilities both ways). */
async function readSnapshot(deps: EntitlementDeps, packageId: string): Promise<PackageSnapshot | undefined> {
  const { store } = deps;
  const accessPackage = await store.accessPackages.find(packageId);
  if (!accessPackage) return undefined;
  const [policies, roleScopes, declared, declaredByOthers] = await Promise.all([
    store.policies.list({ partitionId: packageId }),
    store.roleScopes.list({ partitionKey: tableKey(packageId) }),
    store.incompatibilities.list({ partitionKey: tableKey(packageId) }),
    store.incompatibilities.list({ partitionKey: tableKey('incompatibleWith', packageId) }),
  ]);
  return {
    accessPackage: accessPackage.value,
    policies: policies.map((d) => d.value),
    roleScopes: roleScopes.map((d) => d.value),
    incompatiblePackageIds: [...new Set([...declared.filter((l) => l.value.kind === 'accessPackage').map((l) => l.value.otherId), ...declaredByOthers.map((l) => l.value.packageId)])],
    incompatibleGroupIds: declared.filter((l) => l.value.kind === 'group').map((l) => l.value.otherId),
  };
}

/** The writers in the row's `changing` that are not abandoned. */
function liveWriters(deps: EntitlementDeps, stored: StoredDocument<PackageConfiguration> | undefined): Array<[string, string]> {
  const oldest = deps.clock.now().minus(ABANDONED_AFTER);
  return Object.entries(stored?.value.changing ?? {}).filter(([, since]) => DateTime.fromISO(since) >= oldest);
}

/** Another writer of the row came first (its ETag changed, or it was inserted meanwhile). */
const isRace = (error: unknown) => isDomainError(error) && ['concurrencyConflict', 'alreadyExists', 'notFound'].includes(error.code);

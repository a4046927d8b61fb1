import { DateTime } from 'luxon';
import type { Deps } from '../../shared/composition';
import type { Assignment, DirectoryRole } from '../../shared/domain/assignments/assignment';
import { roleKey } from '../../shared/domain/assignments/deliveryState';
import { MAX_ATTEMPTS } from '../../shared/operations/assignments/applyOperations';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { reconcile, type ReconcileResult } from '../../shared/operations/lifecycle/reconcileSweep';
import { DocumentTable, writeDocumentsTogether } from '../../shared/store/documentTable';
import { GrantStore, type GrantPointer, type PackageClaim } from '../../shared/store/grantStore';
import { tableKey } from '../../shared/store/tableKeys';
import type { TenantFixture } from '../graph-emulator/fixture';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/server';
import {
  ADMIN_CALLER,
  assignmentDoc,
  benchDeps,
  benchTenant,
  chunks,
  countedRun,
  emulatorCall,
  guid,
  memberIds,
  packageWithPolicy,
  progress,
  range,
  round,
  tableWrites,
  withBenchStorage,
  type BenchStorage,
  type CountedRun,
  type PackageRef,
} from './benchKit';
import { mapConcurrently } from '../../shared/concurrently';

export interface ReconcileBenchRow {
  case: string;
  /** Active, delivered assignments in the store. */
  assignments: number;
  /** Resource roles the pass compared with the directory. */
  roles: number;
  /** What differed from the desired state before the pass. */
  drift: string;
  /** One reconcile run, wall time: lease, redelivery index, every role compared and repaired, checkpoint. */
  seconds: number;
  /** Table Storage requests of the run (counted by the proxy). */
  tableRoundTrips: number;
  /** Of those, reads by key: the assignments behind each package's assignee index. */
  tablePointReads: number;
  tableQueries: number;
  /** Inserts, replacements, deletions and entity group transactions (one each). */
  tableWrites: number;
  /** Graph requests of the run (the emulator's own count; a `$batch` is one). */
  graphRoundTrips: number;
  /** Requests inside those batches. */
  graphBatchedRequests: number;
  added: number;
  removed: number;
  /** After the run every group holds exactly its assignees and the hand-added members, and the ledger exactly the assignees. */
  repaired: boolean;
  /** What any check found wrong; empty when none. */
  problems: string;
}

const GROUPS = 4;
const HOLDERS_PER_GROUP = 2_500;
export const ASSIGNMENTS = GROUPS * HOLDERS_PER_GROUP;
/** Per group, of each kind of drift: members removed by hand, members added by hand, stale members. */
const DRIFT_PER_GROUP = 25;
const DRIFT = GROUPS * DRIFT_PER_GROUP;
const SEED_CONCURRENCY = 16;
/** Entity group transactions hold at most 100 entities. */
const TRANSACTION_LIMIT = 100;
/** Large enough for every role to be compared: this measures the work, not the cut-off. */
const BUDGET_MS = 30 * 60_000;

const TENANT = 'be000000-0000-4000-8000-0000000000c1';
const PREFIX = 'rec10000t';
/** Ids that say what they are (`guid`). */
const GROUP = 'b1000000';
const HOLDER = 'a0000000';
/** Members an administrator adds by hand: no assignment, never in the ledger; they stay. */
const WALK_IN = 'a1000000';
/** Members Portcullis granted (in the group and the ledger) whose assignment ended or is gone; they go. */
const STALE = 'a2000000';
const ASSIGNMENT = 'e0000000';
const ENDED_ASSIGNMENT = 'e1000000';
const REQUEST = 'f0000000';
const ENDED_REQUEST = 'f1000000';
const ENDING_REQUEST = 'f2000000';

/** Who is where: group g's assignees, and its members of each kind of drift. */
export interface Population {
  groups: string[];
  holders: string[][];
  /** Assignees the administrator removes by hand: every 100th. */
  removedByHand: string[][];
  walkIns: string[][];
  stale: string[][];
}

interface Seeded {
  packages: PackageRef[];
  roles: DirectoryRole[];
}

/**
 * `reconcileSweep` over 10,000 active, delivered assignments: 4 packages, each granting the Member role of its own
 * group to 2,500 users. The directory and the grant ledger start in the matching state, plus 25 stale members per
 * group (in the group and the ledger, their assignment ended with its removal given up, or gone altogether). Then,
 * by hand through Graph, 25 assignees per group leave their group and 25 users no assignment holds join it. One
 * reconcile run must put back the 100, remove the 100 stale and keep the 100 added by hand; a second must change
 * nothing. In-process against an embedded Azurite (in memory) and the Graph emulator; the runs go through the
 * counting proxy.
 */
export async function reconcileScenario(): Promise<ReconcileBenchRow[]> {
  const people = population();
  return withBenchStorage(async (storage) => {
    const emulator = await startGraphEmulator({ seed: tenantFixture(people), port: 0 });
    try {
      return await runCase(storage, emulator, people);
    } finally {
      await emulator.stop();
    }
  });
}

export function population(): Population {
  const perGroup = (kind: string, size: number) => range(GROUPS).map((g) => range(size).map((k) => guid(kind, g * size + k)));
  const holders = perGroup(HOLDER, HOLDERS_PER_GROUP);
  return {
    groups: range(GROUPS).map((g) => guid(GROUP, g)),
    holders,
    removedByHand: holders.map((ids) => range(DRIFT_PER_GROUP).map((k) => ids[k * Math.floor(HOLDERS_PER_GROUP / DRIFT_PER_GROUP)]!)),
    walkIns: perGroup(WALK_IN, DRIFT_PER_GROUP),
    stale: perGroup(STALE, DRIFT_PER_GROUP),
  };
}

export function tenantFixture(people: Population): TenantFixture {
  const named = (ids: string[][], name: string) => ids.flat().map((id, i): [string, string] => [id, `${name}${i}`]);
  return benchTenant(
    TENANT,
    [...named(people.holders, 'holder'), ...named(people.walkIns, 'walkin'), ...named(people.stale, 'stale')],
    people.groups.map((id, g) => ({
      id,
      displayName: `Bench reconcile group ${g}`,
      mailEnabled: false,
      securityEnabled: true,
      groupTypes: [],
      // As delivery left it: the assignees, and the stale members Portcullis added and never took out.
      members: [...people.holders[g]!, ...people.stale[g]!],
      owners: [],
    })),
  );
}

async function runCase(storage: BenchStorage, emulator: GraphEmulator, people: Population): Promise<ReconcileBenchRow[]> {
  const label = `${ASSIGNMENTS.toLocaleString('en-US')} assignments`;
  const { direct, counted } = benchDeps(storage, emulator.url, PREFIX, TENANT);
  const problems: string[] = [];

  progress(`${label}: seeding`);
  const seedStarted = performance.now();
  const seeded = await seed(direct, people);
  progress(`${label}: seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s; checking the seed, then drifting by hand`);
  await checkSeed(direct, people, seeded, problems);
  await drift(emulator, people);

  const runs: Array<{ name: string; drift: string; run: CountedRun<ReconcileResult | undefined>; repaired: boolean }> = [];
  for (const [n, name, before] of [
    [1, 'first pass: repairs the drift', `${DRIFT} removed, ${DRIFT} added by hand, ${DRIFT} stale`],
    [2, 'second pass: nothing to do', 'none'],
  ] as const) {
    progress(`${label}: reconcile, ${name}`);
    const run = await countedRun(storage, counted, emulator.url, () => reconcile(counted.entitlements, { holder: `bench-reconcile-${n}`, budgetMs: BUDGET_MS }), problems);
    const expected = n === 1 ? DRIFT : 0;
    checkResult(`run ${n}`, run.result, expected, problems);
    const repaired = await checkRepaired(`after run ${n}`, direct, people, seeded, problems);
    progress(`${label}: ${name} in ${(run.ms / 1000).toFixed(2)} s; Table ${JSON.stringify(run.tableKinds)}; Graph ${JSON.stringify(run.graph.byRoute)}`);
    runs.push({ name, drift: before, run, repaired });
  }
  await direct.tables.deleteAll();

  return runs.map(({ name, drift: before, run, repaired }) => ({
    case: name,
    assignments: ASSIGNMENTS,
    roles: run.result?.rolesChecked ?? 0,
    drift: before,
    seconds: round(run.ms / 1000, 2),
    tableRoundTrips: run.tableRoundTrips,
    tablePointReads: run.tableKinds.pointReads,
    tableQueries: run.tableKinds.queries,
    tableWrites: tableWrites(run.tableKinds),
    graphRoundTrips: run.graph.roundTrips,
    graphBatchedRequests: run.graph.batchedRequests,
    added: run.result?.added ?? 0,
    removed: run.result?.removed ?? 0,
    repaired,
    problems: problems.join('; '),
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding

/**
 * The catalog, the 4 groups as its resources, the 4 packages (admin-only, no expiration) and their Member role
 * scopes go through the operations, as an administrator. The 10,000 assignments are written row for row as
 * GrantStore writes them, in bulk: each target's assignment with its claim in one transaction, a locator each
 * (a partition per assignment), and each package's assignee pointers 100 to a transaction. The ended assignments
 * of half the stale members are written as removeAccess leaves them, their removal failed for good (no
 * redelivery left). The ledger records every group member, as delivery did when it added them.
 */
export async function seed(deps: Deps, people: Population): Promise<Seeded> {
  const em = deps.entitlements;
  const admin = ADMIN_CALLER(TENANT);
  const catalog = await createCatalog(em, admin, { displayName: 'Bench reconcile', state: 'published' });
  const packages: PackageRef[] = [];
  const roles: DirectoryRole[] = [];
  for (const [g, group] of people.groups.entries()) {
    await requestResource(em, admin, { requestType: 'adminAdd', resource: { originId: group, originSystem: 'AadGroup' }, catalog: { id: catalog.id } });
    packages.push(await packageWithPolicy(em, admin, catalog.id, `Bench reconcile ${g}`, { type: 'noExpiration' }));
    const scope = await addResourceRoleScope(em, admin, packages[g]!.packageId, {
      role: { originId: `Member_${group}`, originSystem: 'AadGroup' },
      scope: { originId: group, originSystem: 'AadGroup' },
    });
    roles.push(directoryRoleOf(scope));
  }

  const start = DateTime.utc().minus({ days: 30 }).toISO()!;
  const active = people.holders.flatMap((ids, g) =>
    ids.map((targetId, k) => {
      const i = g * HOLDERS_PER_GROUP + k;
      const added = [{ action: 'add' as const, role: roles[g]!, state: 'done' as const, attempts: 1, lastError: null }];
      return assignmentDoc({ id: guid(ASSIGNMENT, i), targetId, ref: packages[g]!, catalogId: catalog.id, requestId: guid(REQUEST, i), start, end: null, operations: added });
    }),
  );
  const ended = people.stale.flatMap((ids, g) =>
    ids.flatMap((targetId, k) => (k % 2 === 0 ? [endedAssignment(g * DRIFT_PER_GROUP + k, targetId, packages[g]!, catalog.id, roles[g]!, start)] : [])),
  );
  await mapConcurrently([...assignmentWrites(deps, active, ended)], (write) => write(), SEED_CONCURRENCY);
  for (const [g, role] of roles.entries()) await em.ledger.record(role, [...people.holders[g]!, ...people.stale[g]!]);
  return { packages, roles };
}

/** Ended by an administrator's removal 10 days ago; the directory refused the removal until attempts ran out. */
function endedAssignment(j: number, targetId: string, ref: PackageRef, catalogId: string, role: DirectoryRole, start: string): Assignment {
  const made = assignmentDoc({ id: guid(ENDED_ASSIGNMENT, j), targetId, ref, catalogId, requestId: guid(ENDED_REQUEST, j), start, end: null, operations: [] });
  return {
    ...made,
    state: 'expired',
    status: 'Expired',
    expiredDateTime: DateTime.utc().minus({ days: 10 }).toISO()!,
    endedByRequestId: guid(ENDING_REQUEST, j),
    operations: [{ action: 'remove', role, state: 'failed', attempts: MAX_ATTEMPTS, lastError: 'The directory refused the change.' }],
  };
}

/** Every write of the seeded assignments, one request each. */
function* assignmentWrites(deps: Deps, active: Assignment[], ended: Assignment[]): Generator<() => Promise<void>> {
  const grants = deps.entitlements.grants;
  const index = new DocumentTable<GrantPointer>(() => deps.tables.get('grantIndex'), 'grant index entry');
  const pointerTo = (a: Assignment): GrantPointer => ({ id: a.id, targetId: a.targetId });
  for (const a of active) {
    const claim: PackageClaim = { packageId: a.accessPackageId, requestId: a.requestId, assignmentId: a.id };
    const target = GrantStore.targetKey(a.targetId);
    yield async () =>
      void (await grants.together([grants.assignments.insertion(target, GrantStore.assignmentKey(a.id), a), grants.claims.insertion(target, GrantStore.claimKey(a.accessPackageId), claim)]));
  }
  // An ended assignment has released its claim and left its package's assignee index (removeAccess).
  for (const a of ended) yield async () => void (await grants.assignments.insert(GrantStore.targetKey(a.targetId), GrantStore.assignmentKey(a.id), a));
  for (const a of [...active, ...ended]) yield async () => void (await index.insert(tableKey('locator', a.id), tableKey(a.id), pointerTo(a)));
  for (const packageId of new Set(active.map((a) => a.accessPackageId))) {
    for (const chunk of chunks(active.filter((a) => a.accessPackageId === packageId), TRANSACTION_LIMIT)) {
      const writes = chunk.map((a) => index.insertion(tableKey('packageAssignee', packageId), tableKey(a.id), pointerTo(a)));
      yield async () => void (await writeDocumentsTogether(writes, 'grant index entry'));
    }
  }
}

/** Reads the seed back through the stores' own read paths and the directory port. */
async function checkSeed(deps: Deps, people: Population, seeded: Seeded, problems: string[]): Promise<void> {
  const grants = deps.entitlements.grants;
  for (const i of [0, ASSIGNMENTS - 1]) {
    if ((await grants.findAssignment(guid(ASSIGNMENT, i)))?.value.state !== 'delivered') problems.push(`assignment ${i} cannot be found by id`);
  }
  if ((await grants.findAssignment(guid(ENDED_ASSIGNMENT, 0)))?.value.state !== 'expired') problems.push('ended assignment 0 cannot be found by id');
  const assignees = await grants.assignmentsOfPackage(seeded.packages[0]!.packageId);
  if (assignees.length !== HOLDERS_PER_GROUP) problems.push(`package 0 has ${assignees.length} assignees through its index, not ${HOLDERS_PER_GROUP}`);
  for (const [g, group] of people.groups.entries()) {
    const members = (await memberIds(deps, group)).length;
    const ledger = (await deps.entitlements.ledger.holders(roleKey(seeded.roles[g]!))).size;
    const expected = HOLDERS_PER_GROUP + DRIFT_PER_GROUP;
    if (members !== expected || ledger !== expected) problems.push(`seeded group ${g} has ${members} members and ${ledger} in the ledger, not ${expected}`);
  }
}

/** By hand, through Graph as an administrator would: 25 assignees out of each group, 25 walk-ins into it. */
export async function drift(emulator: GraphEmulator, people: Population): Promise<void> {
  const changes = people.groups.flatMap((group, g) => [
    ...people.removedByHand[g]!.map((id) => () => emulatorCall(emulator.url, 'DELETE', `/v1.0/groups/${group}/members/${id}/$ref`)),
    ...people.walkIns[g]!.map((id) => () => emulatorCall(emulator.url, 'POST', `/v1.0/groups/${group}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` })),
  ]);
  await mapConcurrently(changes, (change) => change(), SEED_CONCURRENCY);
}

// ---------------------------------------------------------------------------------------------------------------
// Checks after a run

function checkResult(run: string, result: ReconcileResult | undefined, expected: number, problems: string[]): void {
  if (!result) throw new Error(`Reconcile ${run} found its lease held; nothing else runs it here.`);
  const { redelivery, rolesChecked, rolesNotCheckable, rolesRemaining, rolesFailed, added, removed, errors } = result;
  const off = [
    redelivery.processed + redelivery.failed + redelivery.stale + redelivery.remaining > 0 && `redelivery ${JSON.stringify({ ...redelivery, errors: undefined })}`,
    rolesChecked !== GROUPS && `${rolesChecked} roles checked, not ${GROUPS}`,
    rolesNotCheckable + rolesRemaining + rolesFailed > 0 && `${rolesNotCheckable} not checkable, ${rolesRemaining} remaining, ${rolesFailed} failed`,
    (added !== expected || removed !== expected) && `added ${added} and removed ${removed}, not ${expected} each`,
    errors.length > 0 && `errors: ${errors.join(' | ')}`,
  ].filter((x): x is string => typeof x === 'string');
  if (off.length > 0) problems.push(`${run}: ${off.join(', ')}`);
}

/** Each group holds exactly its assignees (those removed by hand back) and its walk-ins, no stale member; the ledger exactly the assignees. */
async function checkRepaired(when: string, deps: Deps, people: Population, seeded: Seeded, problems: string[]): Promise<boolean> {
  let repaired = true;
  for (const [g, group] of people.groups.entries()) {
    const members = new Set(await memberIds(deps, group));
    const ledger = await deps.entitlements.ledger.holders(roleKey(seeded.roles[g]!));
    const missing = people.holders[g]!.filter((id) => !members.has(id)).length;
    const walkInsGone = people.walkIns[g]!.filter((id) => !members.has(id)).length;
    const staleKept = people.stale[g]!.filter((id) => members.has(id)).length;
    const others = members.size - (HOLDERS_PER_GROUP - missing) - (DRIFT_PER_GROUP - walkInsGone) - staleKept;
    const ledgerRight = ledger.size === HOLDERS_PER_GROUP && people.holders[g]!.every((id) => ledger.has(id));
    if (missing + walkInsGone + staleKept + others > 0 || !ledgerRight) {
      repaired = false;
      problems.push(
        `${when}, group ${g}: ${missing} assignees missing, ${walkInsGone} walk-ins gone, ${staleKept} stale kept, ${others} others; ledger of ${ledger.size}${ledgerRight ? '' : ' (wrong)'}`,
      );
    }
  }
  return repaired;
}

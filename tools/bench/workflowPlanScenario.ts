import { DateTime } from 'luxon';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { SWEEP_BUDGET_MS } from '../../shared/operations/lifecycle/sweepBudget';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import type { Deps } from '../../shared/composition';
import { startGraphEmulator } from '../graph-emulator/server';
import { ADMIN_CALLER, benchDeps, benchTenant, countedRun, guid, progress, range, round, withBenchStorage, type BenchStorage } from './benchKit';

export interface WorkflowPlanBenchRow {
  case: string;
  users: number;
  /** The create call (POST workflows): what an administrator waits for. */
  createMs: number;
  createTableRoundTrips: number;
  createGraphRoundTrips: number;
  /** The target: the create call's round trips do not follow the number of users (a handful, whatever it is). */
  createTarget: string;
  /** The expiration sweep's runs until the workflow is planned for every user (0: the create call planned it). */
  sweepRuns: number;
  sweepMs: number;
  sweepTableRoundTrips: number;
  sweepGraphRoundTrips: number;
  /** Users whose trigger item is in the index once planned (those whose leave date is ahead, in scope). */
  triggersPlanned: number;
  problems: string;
}

/** Sizes: `WF_BENCH_USERS=100000 npm run bench workflowPlan` for the larger run; `WF_BENCH_CASES=leave` (or `mover`) for one case. */
const USERS = Number(process.env.WF_BENCH_USERS ?? 10_000);
const CASES = (process.env.WF_BENCH_CASES ?? 'leave,mover').split(',');
const TENANT = 'be000000-0000-4000-8000-0000000000f1';
const USER = 'f1000000';
const PREFIX = 'wfplanbench';
/** Every fourth user is in Sales, the workflows' scope; every second of those leaves in 30 days. */
const inSales = (i: number) => i % 4 === 0;
const leaves = (i: number) => i % 8 === 0;
const NS = '#microsoft.graph.identityGovernance.';
const REMOVE_ALL_ASSIGNMENTS = '42ae2956-193d-4f39-be06-691b8ac4fa1d';
const REMOVE_FROM_GROUPS = '1953a66c-751c-45e5-8bfe-01462c70da3c';
/** A group the mover workflow's task names (its users are never moved in the bench). */
const OLD_TEAM = guid('f1100000', 1);
/**
 * Enough sweep runs for any size measured; past it the plan did not finish (a problem reported). `WF_BENCH_SWEEP_RUNS=0`
 * measures the create call alone: at 100,000 users the plan's 200,000 or so round trips had not finished after 25
 * minutes on the embedded Azurite (its CPU busy throughout; 10,000 users take about a minute).
 */
const MAX_SWEEP_RUNS = Number(process.env.WF_BENCH_SWEEP_RUNS ?? 50);

const conditions = (trigger: object) => ({
  '@odata.type': `${NS}triggerAndScopeBasedConditions`,
  scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "department eq 'Sales'" },
  trigger,
});
const LEAVERS = {
  category: 'leaver',
  displayName: 'Bench leavers',
  isEnabled: true,
  isSchedulingEnabled: true,
  executionConditions: conditions({ '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: 'employeeLeaveDateTime', offsetInDays: 0 }),
  tasks: [{ displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL_ASSIGNMENTS }],
};
const MOVERS = {
  category: 'mover',
  displayName: 'Bench movers',
  isEnabled: true,
  isSchedulingEnabled: true,
  executionConditions: conditions({ '@odata.type': `${NS}attributeChangeTrigger`, triggerAttributes: [{ name: 'department' }] }),
  tasks: [{ displayName: 'Out of the old team', taskDefinitionId: REMOVE_FROM_GROUPS, arguments: [{ name: 'groupID', value: OLD_TEAM }] }],
};

/**
 * Creating a lifecycle workflow over `USERS` emulator users (10,000; 100,000 with WF_BENCH_USERS): a leave-date
 * workflow (a baseline of each user's leave date, and the due items of those leaving) and a mover workflow (a
 * baseline of each user's department). The create call's time and round trips, then the expiration sweep's runs
 * until the plan is done, Table Storage behind the counting proxy.
 */
export async function workflowPlanScenario(): Promise<WorkflowPlanBenchRow[]> {
  const now = DateTime.utc();
  const ids = range(USERS).map((i) => guid(USER, i));
  const tenant = benchTenant(TENANT, ids.map((id, i): [string, string] => [id, `user${i}`]), [{ id: OLD_TEAM, displayName: 'Old team', members: [] }]);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const users = (tenant.users ?? []).map((user) => {
    const i = indexOf.get(user.id);
    if (i === undefined) return user;
    return { ...user, department: inSales(i) ? 'Sales' : 'Support', employeeLeaveDateTime: leaves(i) ? now.plus({ days: 30 }).toISO() : null };
  });
  const emulator = await startGraphEmulator({ seed: { ...tenant, users }, port: 0 });
  try {
    return await withBenchStorage(async (storage) => {
      const { direct, counted } = benchDeps(storage, emulator.url, PREFIX, TENANT);
      const leavers = range(USERS).filter((i) => inSales(i) && leaves(i)).length;
      const rows: WorkflowPlanBenchRow[] = [];
      if (CASES.includes('leave')) rows.push(await createCase(storage, direct, counted, emulator.url, 'leave-date workflow', LEAVERS, leavers));
      if (CASES.includes('mover')) rows.push(await createCase(storage, direct, counted, emulator.url, 'mover workflow', MOVERS, 0));
      return rows;
    });
  } finally {
    await emulator.stop();
  }
}

async function createCase(storage: BenchStorage, direct: Deps, counted: Deps, graphUrl: string, name: string, body: object, expectedTriggers: number): Promise<WorkflowPlanBenchRow> {
  const problems: string[] = [];
  progress(`${name}: the create call`);
  const created = await countedRun(storage, counted, graphUrl, () => createWorkflow(counted.entitlements, ADMIN_CALLER(TENANT), body), problems);
  progress(`${name}: created in ${round(created.ms / 1000)} s; sweeping until planned`);
  let runs = 0;
  const swept = await countedRun(
    storage,
    counted,
    graphUrl,
    async () => {
      // Until a run finds nothing due: the plan done (its trigger items fall due in 30 days).
      while (runs < MAX_SWEEP_RUNS) {
        const result = await sweepExpirations(counted.entitlements, { holder: `wfplan-bench-${runs}`, budgetMs: SWEEP_BUDGET_MS });
        if (result && result.failed > 0) problems.push(`sweep ${runs + 1}: ${result.errors.join('; ')}`);
        if (!result || result.processed + result.stale + result.failed === 0) break;
        runs++;
      }
    },
    problems,
  );
  if (MAX_SWEEP_RUNS > 0 && runs === MAX_SWEEP_RUNS) problems.push(`not planned after ${MAX_SWEEP_RUNS} sweep runs`);
  const later = direct.entitlements.clock.now().plus({ days: 31 });
  const triggers = (await direct.entitlements.due.dueBy(later, undefined)).filter((item) => item.value.kind === 'workflowTrigger' && item.value.entityId === created.result.id).length;
  if (MAX_SWEEP_RUNS > 0 && triggers !== expectedTriggers) problems.push(`${triggers} trigger items, ${expectedTriggers} expected`);
  return {
    case: name,
    users: USERS,
    createMs: Math.round(created.ms),
    createTableRoundTrips: created.tableRoundTrips,
    createGraphRoundTrips: created.graph.roundTrips,
    createTarget: 'a few, whatever the users',
    sweepRuns: runs,
    sweepMs: Math.round(swept.ms),
    sweepTableRoundTrips: swept.tableRoundTrips,
    sweepGraphRoundTrips: swept.graph.roundTrips,
    triggersPlanned: triggers,
    problems: problems.join('; '),
  };
}

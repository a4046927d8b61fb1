import type { InvocationContext, Timer } from '@azure/functions';
import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { runArchive } from '../shared/operations/archive/runArchive';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';

/**
 * Archives the audit log's closed hours to the blob container `audit-archive` with signed, chained digests, then
 * enforces retention of the hot tables (DESIGN §2.7, §2.8). Hourly, a few minutes past the hour: the hour just closed
 * has settled by then (ARCHIVE_SETTLE_SECONDS, default 2 minutes). Several hours due at once are sent to the queue
 * `archive-hours` (functions/archiveHour.ts) and written in parallel; the digests are chained in order.
 */
export async function reportArchive(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = getDeps();
  const result = await runArchive({ ...deps.entitlements, archive: deps.archive }, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS }, { queue: deps.queues.archiveHours });
  context.log(result ? `reportArchive: ${JSON.stringify(result)}` : 'reportArchive: another instance is running it.');
}

registerTimer('reportArchive', { schedule: '0 5 * * * *', handler: reportArchive });

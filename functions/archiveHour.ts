import { registerQueue } from '../shared/hosting/registry';
import { queueHandler } from '../shared/hosting/queueHandler';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';
import { archiveHourMessage } from '../shared/operations/archive/archiveShards';
import { processArchiveHour } from '../shared/operations/archive/runArchive';
import { QUEUE_NAMES } from '../shared/queues/queueNames';

/** One hour of the audit log to archive, sent by `reportArchive` when several are due: its files, then the chain. */
export const archiveHour = queueHandler('archiveHour', QUEUE_NAMES.archiveHours, archiveHourMessage, (message, deps, context) =>
  processArchiveHour({ ...deps.entitlements, archive: deps.archive }, message, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS }),
);

registerQueue('archiveHour', { queueName: QUEUE_NAMES.archiveHours, handler: archiveHour });

import { z } from 'zod';
import { deferredCall } from '../../directory/throttleDeferral';
import type { WorkQueue } from '../../queues/workQueue';
import type { ReconcileShard } from '../../store/reconcileShards';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { followGroupSet, forgetLinksOfGoneSets, governedGroupSets, groupSets, type RoleInUse } from './groupDrift';
import { compareAppRole, recordSummary, redeliveryPass, rolesInUse, type AppRoleCounts, type ReconcileCheckpoint } from './reconcileSweep';
import type { DueWorkResult, SweepOptions } from './sweepDueWork';
import { withSweepLease } from './sweepDueWork';

/** Where the reconcile sweep sends its shards: the `reconcile-shards` queue (functions/reconcileShard.ts). */
export type ReconcileShardQueue = Pick<WorkQueue, 'sendAll' | 'depth'>;

/** A shard message names its shard (ReconcileShards); the roles it compares are in the table. */
export const reconcileShardMessage = z.object({ shard: z.string().min(1).max(1000) });
export type ReconcileShardMessage = z.infer<typeof reconcileShardMessage>;

/** What one run of the reconcile sweep's timer did when its comparison fans out. */
export interface ReconcileFanOutResult {
  redelivery: DueWorkResult;
  /** Shards still queued or in flight from an earlier run: this run sent none, they hold the comparison. */
  pendingShards: number;
  shardsSent: number;
  /** What the timer compared itself: all of it when it fitted in one shard; otherwise groups it found gone and sites. */
  compared: AppRoleCounts;
}

/**
 * The reconcile sweep as its timer runs it (DESIGN §1, scale out on the platform): under the sweep's lease it
 * re-drives deliveries as `reconcile` does, then cuts the comparison with the directory into shards, one per
 * application role and one per set of 50 governed groups (one groups delta query each), written to the table
 * (ReconcileShards) and sent to `queue`, whose function compares each on whichever instance takes it
 * (processReconcileShard) with the guarantees of `reconcile`: only what Portcullis granted is removed, members
 * added by hand stay. A comparison that fits in one shard the timer does itself. While shards of an earlier run are
 * queued or in flight it sends none; a shard lost (poisoned) is sent again by the first run that finds the queue
 * empty. Undefined when another instance runs the timer.
 */
export async function dispatchReconcile(deps: EntitlementDeps, queue: ReconcileShardQueue, options: SweepOptions): Promise<ReconcileFanOutResult | undefined> {
  return withSweepLease<ReconcileFanOutResult>(deps, 'reconcileSweep', options, async (saved, deadline, lease) => {
    const position: ReconcileCheckpoint = saved ? (JSON.parse(saved) as ReconcileCheckpoint) : { minute: null, lastRole: null };
    const pass = await redeliveryPass(deps, position.minute, deadline, lease, options.roleChangeBatch);
    const compared: AppRoleCounts = { rolesChecked: 0, rolesNotCheckable: 0, added: 0, removed: 0, rolesRemaining: 0, rolesFailed: 0, errors: [] };
    const result: ReconcileFanOutResult = { redelivery: pass.result, pendingShards: await queue.depth(), shardsSent: 0, compared };
    if (result.pendingShards === 0) {
      const inUse = await rolesInUse(deps);
      const sets = await governedGroupSets(deps, inUse.filter((r) => r.role.originSystem === 'AadGroup'), lease, compared);
      const appRoles = inUse.filter((r) => r.role.originSystem === 'AadApplication');
      // Sites cannot be listed (no listing of site permissions yet).
      compared.rolesNotCheckable += inUse.filter((r) => r.role.originSystem === 'SharePointOnline').length;
      const links = await deps.groupDeltaLinks.all();
      const shards = new Map<string, ReconcileShard>([
        ...sets.map((set): [string, ReconcileShard] => [`set:${set.key}`, { kind: 'groupSet', roles: set.roles.map(shardRole) }]),
        ...appRoles.map((role): [string, ReconcileShard] => [`role:${role.key}`, { kind: 'appRole', roles: [shardRole(role)] }]),
      ]);
      if (shards.size <= 1) {
        const flags = sets.length > 0 ? await deps.ledger.flagged() : [];
        for (const set of sets) await followGroupSet(deps, set, links.get(set.key)?.value, flags, lease, compared);
        for (const role of appRoles) await compareAppRole(deps, role, lease, compared);
      } else {
        await lease.hold();
        await deps.reconcileShards.replaceAll(shards);
        await queue.sendAll([...shards.keys()].map((shard): ReconcileShardMessage => ({ shard })));
        result.shardsSent = shards.size;
      }
      await forgetLinksOfGoneSets(deps, links, sets, lease);
    }
    await recordSummary(deps, lease, result, compared.added + compared.removed > 0 || pass.result.processed > 0);
    return { checkpoint: JSON.stringify({ minute: pass.checkpoint, lastRole: null } satisfies ReconcileCheckpoint), result };
  });
}

/**
 * One shard of the comparison, in its queue function: its roles compared as `reconcile` compares them, then the
 * shard removed. Under a lease of its own, so a shard sent twice is not compared twice at once; handled again
 * later it finds nothing (its shard removed). Undefined when another instance holds the shard: that one finishes it,
 * or, lost, the timer sends it again.
 */
export async function processReconcileShard(deps: EntitlementDeps, message: ReconcileShardMessage, options: SweepOptions): Promise<AppRoleCounts | undefined> {
  const name = `reconcileSweep.shard.${message.shard}`;
  const result = await withSweepLease(deps, name, options, async (_checkpoint, _deadline, lease) => {
    const counts: AppRoleCounts = { rolesChecked: 0, rolesNotCheckable: 0, added: 0, removed: 0, rolesRemaining: 0, rolesFailed: 0, errors: [] };
    const stored = await deps.reconcileShards.get(message.shard);
    if (!stored) return { checkpoint: null, result: counts };
    const roles = stored.value.roles.map((r): RoleInUse => ({ key: r.key, role: r.role, packageIds: new Set(r.packageIds) }));
    if (stored.value.kind === 'appRole') {
      for (const role of roles) await compareAppRole(deps, role, lease, counts);
    } else {
      const [links, flags] = await Promise.all([deps.groupDeltaLinks.all(), deps.ledger.flagged()]);
      for (const set of groupSets(roles)) await followGroupSet(deps, set, links.get(set.key)?.value, flags, lease, counts);
    }
    // Graph asked this invocation to wait: roles it could not compare stay in the shard for its message's return.
    const deferred = deferredCall();
    if (deferred) throw deferred;
    await lease.hold();
    await deps.reconcileShards.done(stored);
    return { checkpoint: null, result: counts };
  });
  if (result) await deps.sweeps.forget(name);
  return result;
}

const shardRole = ({ key, role, packageIds }: RoleInUse) => ({ key, role, packageIds: [...packageIds].sort() });

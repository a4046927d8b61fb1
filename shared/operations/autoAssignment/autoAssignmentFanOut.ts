import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ChangedUser } from '../../directory/directoryPort';
import type { WorkQueue } from '../../queues/workQueue';
import type { AutoAssignmentShard } from '../../store/autoAssignmentShards';
import type { StoredDocument } from '../../store/documentTable';
import { MAX_TRANSACTION_BYTES } from '../../store/transactionsOf';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { withSweepLease, type SweepOptions } from '../lifecycle/sweepDueWork';
import { automaticPolicies, type AutomaticPolicy } from './automaticPolicies';
import { makeChanges, planChanges, type EvaluationCounts } from './evaluateAutoAssignments';

/** Where the sweep sends its shards: the `auto-assignment-shards` queue (functions/autoAssignmentShard.ts). */
export type AutoAssignmentShardQueue = Pick<WorkQueue, 'sendAll' | 'depth'>;

/** How the sweep's full evaluation fans out: its queue, and (tests) how many users a shard takes. */
export interface AutoAssignmentFanOut {
  queue: AutoAssignmentShardQueue;
  usersPerShard?: number;
}

/**
 * Users per shard at most: one invocation evaluates them against every policy and makes their changes (a bulk
 * write per 1,000 additions, one query for the claims of the shard's range), so 100,000 users are 25 messages. What
 * a shard costs besides its changes (its lease, its reads of the policies, and a transaction of a package's assignee
 * index for each package it adds to) is paid once a shard: fewer, larger shards pay it less often, and 25 still
 * spread over as many instances.
 */
export const USERS_PER_SHARD = 4_000;
/** A row of a shard's users as JSON stays well inside a table row (DocumentTable: 16 parts of 30,000 characters). */
const ROW_CHARACTERS = 400_000;
/** A shard's users as the transaction that writes them carries them (UTF-8, escaped), leaving room for the shard's row. */
const SHARD_BYTES = MAX_TRANSACTION_BYTES - 256 * 1024;
const MAX_REPORTED_ERRORS = 5;

/** A shard message names the run and the shard's place in it; its users are in the table. */
export const autoAssignmentShardMessage = z.object({ run: z.string().min(1).max(100), shard: z.number().int().min(0).max(999_999) });
export type AutoAssignmentShardMessage = z.infer<typeof autoAssignmentShardMessage>;

/**
 * The directory's users cut into shards by id (lower-cased, in the order Table Storage keys sort): each shard's
 * range runs from the last id of the one before (excluded) to its own last (the first and last open-ended), so
 * the ranges cover every id once, assignees the directory no longer lists included. Each shard's users are cut into
 * rows of at most ROW_CHARACTERS, and a shard is closed at its share of the users (`usersPerShard` at most) or at
 * SHARD_BYTES, so that it is written with its rows in one transaction. None when they fit in one.
 */
export function cutIntoShards(policies: readonly AutomaticPolicy[], users: readonly ChangedUser[], usersPerShard = USERS_PER_SHARD): ShardToSend[] {
  if (users.length <= usersPerShard) return [];
  const run = randomUUID();
  const policyIds = policies.map((p) => p.policy.id);
  const sorted = [...users].sort((a, b) => compareIds(a.id, b.id));
  // As many users to each shard, rather than full ones and a last one of a few.
  const perShard = Math.ceil(users.length / Math.ceil(users.length / usersPerShard));
  const shards: Array<{ rows: ChangedUser[][]; users: number; bytes: number; characters: number }> = [];
  for (const user of sorted) {
    const json = JSON.stringify(user);
    // As the transaction's body holds it: the JSON as a string value, escaped, in UTF-8.
    const bytes = Buffer.byteLength(JSON.stringify(json));
    let shard = shards[shards.length - 1];
    if (!shard || shard.users >= perShard || shard.bytes + bytes > SHARD_BYTES) {
      shard = { rows: [[]], users: 0, bytes: 0, characters: 0 };
      shards.push(shard);
    }
    if (shard.characters > 0 && shard.characters + json.length > ROW_CHARACTERS) {
      shard.rows.push([]);
      shard.characters = 0;
    }
    shard.rows[shard.rows.length - 1]!.push(user);
    shard.users += 1;
    shard.bytes += bytes;
    shard.characters += json.length;
  }
  const lastIdOf = (rows: readonly ChangedUser[][]) => rows[rows.length - 1]!.at(-1)!.id.toLowerCase();
  return shards.map(({ rows }, index) => ({
    shard: { run, index, policyIds, after: index === 0 ? null : lastIdOf(shards[index - 1]!.rows), upTo: index === shards.length - 1 ? null : lastIdOf(rows), userRows: rows.length },
    userRows: rows,
  }));
}

/** A shard as the timer cuts it: the shard, and its users in the rows they are kept in. */
export interface ShardToSend {
  shard: AutoAssignmentShard<EvaluationCounts>;
  userRows: ChangedUser[][];
}

/** Writes a run's shards (replacing any earlier run's) and sends one message per shard. */
export async function sendShards(deps: EntitlementDeps, queue: AutoAssignmentShardQueue, shards: readonly ShardToSend[]): Promise<void> {
  await deps.autoAssignmentShards.replaceAll(shards);
  await queue.sendAll(shards.map(({ shard }) => messageOf(shard)));
}

/** Where a fanned-out run stands, as the sweep's timer finds it. */
export type ShardsState =
  | { kind: 'out'; pending: number; resent: number }
  /** Every shard done: their counts together, and the users whose changes were not made; the shards removed. */
  | { kind: 'done'; counts: EvaluationCounts; unfinishedUserIds: string[] }
  /** Shards of the run are missing (replaced by hand or lost): the run is abandoned and evaluated again. */
  | { kind: 'lost' };

/**
 * Looks at a run's shards: all done, they are removed and their outcome answered; otherwise, when the queue is
 * empty (nothing queued or in flight holds the work), those not done were lost (poisoned) and are sent again.
 * `hold` is the sweep's lease check, before any write.
 */
export async function followShards(deps: EntitlementDeps, queue: AutoAssignmentShardQueue, run: { id: string; shards: number }, hold: () => Promise<void>): Promise<ShardsState> {
  const stored = await deps.autoAssignmentShards.all();
  const ofRun = stored.filter((d) => d.value.run === run.id);
  if (ofRun.length !== run.shards) return { kind: 'lost' };
  const out = ofRun.filter((d) => !d.value.done);
  if (out.length > 0) {
    if ((await queue.depth()) > 0) return { kind: 'out', pending: out.length, resent: 0 };
    await hold();
    await queue.sendAll(out.map((d) => messageOf(d.value)));
    return { kind: 'out', pending: out.length, resent: out.length };
  }
  await hold();
  await deps.autoAssignmentShards.removeAll(stored);
  return { kind: 'done', ...together(ofRun) };
}

/**
 * One shard, in its queue function: its users evaluated against the run's policies as the inline sweep evaluates
 * the whole directory (planChanges over the shard's id range), the changes made, the shard marked done with what
 * they were. Under a lease of its own, so a shard sent twice is not evaluated twice at once; handled again later,
 * it is done and changes nothing (and made again after a stop midway, the evaluation finds only what is left:
 * assignInBulk writes nothing twice). Undefined when another instance holds the shard.
 */
export async function processAutoAssignmentShard(deps: EntitlementDeps, message: AutoAssignmentShardMessage, options: SweepOptions): Promise<EvaluationCounts | undefined> {
  const name = `autoAssignmentSweep.shard.${message.run}.${message.shard}`;
  const result = await withSweepLease(deps, name, options, async (_checkpoint, deadline, lease) => {
    const stored = await deps.autoAssignmentShards.get(message.run, message.shard);
    if (!stored || stored.value.done) return { checkpoint: null, result: noCounts() };
    const { policyIds, after, upTo } = stored.value;
    const users = await deps.autoAssignmentShards.usersOf(stored.value);
    const wanted = new Set(policyIds);
    const policies = (await automaticPolicies(deps)).filter((p) => wanted.has(p.policy.id));
    const plan = await planChanges(deps, policies, users, { after, upTo });
    const made = await makeChanges(deps, plan, deadline, () => lease.hold());
    await lease.hold();
    await deps.autoAssignmentShards.markDone(stored, made);
    return { checkpoint: null, result: made.counts };
  });
  if (result) await deps.sweeps.forget(name);
  return result;
}

const messageOf = (shard: Pick<AutoAssignmentShard, 'run' | 'index'>): AutoAssignmentShardMessage => ({ run: shard.run, shard: shard.index });

const compareIds = (a: string, b: string) => {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
};

export const noCounts = (): EvaluationCounts => ({ usersEvaluated: 0, ruleEvaluations: 0, assigned: 0, removed: 0, removalsPlanned: 0, remaining: 0, failed: 0, errors: [] });

function together(shards: readonly StoredDocument<AutoAssignmentShard<EvaluationCounts>>[]): { counts: EvaluationCounts; unfinishedUserIds: string[] } {
  const counts = noCounts();
  const unfinished: string[] = [];
  for (const { value } of shards) {
    const done = value.done!;
    for (const key of ['usersEvaluated', 'ruleEvaluations', 'assigned', 'removed', 'removalsPlanned', 'remaining', 'failed'] as const) counts[key] += done.counts[key];
    counts.errors.push(...done.counts.errors);
    unfinished.push(...done.unfinishedUserIds);
  }
  counts.errors = counts.errors.slice(0, MAX_REPORTED_ERRORS);
  return { counts, unfinishedUserIds: [...new Set(unfinished)] };
}

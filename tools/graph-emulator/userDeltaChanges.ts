import type { DeltaRoundState } from './deltaTokens';
import type { UserRecord } from './directoryRecords';
import type { DirectoryState } from './directoryState';
import { USER_TYPE } from './entityTypes';

/** A user changed, or deleted, in a round of the users delta, at the directory version of its last tracked change. */
export type UserDeltaChange = { version: number; user: UserRecord } | { version: number; removedId: string };

interface ListedRound {
  /** The directory's version when the list was made: any change since may move a user out of the round. */
  directoryVersion: number;
  /** The round's changes, oldest first. */
  changes: UserDeltaChange[];
}

/**
 * Rounds listed per directory, so that paging a round finds its place by a binary search instead of scanning and
 * sorting the whole tenant on every page (a listing of 100,000 users was quadratic: 1,001 pages × 100,000 users).
 * The last few rounds paged are kept, each by its first and last version and its `$select`; a reset makes a new
 * directory, and with it no rounds.
 */
const listedRounds = new WeakMap<DirectoryState, Map<string, ListedRound>>();
const ROUNDS_KEPT = 8;

/** The round's next page: its first changes not yet returned (after `round.after`), in the order they happened. */
export function nextChanges(directory: DirectoryState, round: DeltaRoundState): { page: UserDeltaChange[]; more: boolean } {
  const { changes } = listedRound(directory, round);
  const start = firstAfter(changes, round.after);
  return { page: changes.slice(start, start + round.pageSize), more: changes.length > start + round.pageSize };
}

function listedRound(directory: DirectoryState, round: DeltaRoundState): ListedRound {
  let rounds = listedRounds.get(directory);
  if (!rounds) listedRounds.set(directory, (rounds = new Map()));
  const key = JSON.stringify([round.from, round.upto, round.select]);
  const listed = rounds.get(key);
  if (listed?.directoryVersion === directory.version) return listed;
  rounds.delete(key);
  if (rounds.size >= ROUNDS_KEPT) rounds.delete(rounds.keys().next().value!);
  const fresh = { directoryVersion: directory.version, changes: listRound(directory, round) };
  rounds.set(key, fresh);
  return fresh;
}

/** Every change in (from, upto], oldest first: users at their last tracked change, and (after a first round) deletions. */
function listRound(directory: DirectoryState, round: DeltaRoundState): UserDeltaChange[] {
  const inRound = (version: number) => version > round.from && version <= round.upto;
  const tracked = round.select ? round.select.filter((name) => name !== 'id') : [...Object.keys(USER_TYPE.properties)];
  const changes: UserDeltaChange[] = [];
  for (const user of directory.users()) {
    const version = Math.max(...tracked.map((name) => user.changedAt.get(name) ?? 0), user.changedAt.get('id') ?? 0);
    if (inRound(version)) changes.push({ version, user });
  }
  if (round.from > 0) {
    for (const tombstone of directory.tombstones()) {
      if (inRound(tombstone.deletedAt)) changes.push({ version: tombstone.deletedAt, removedId: tombstone.id });
    }
  }
  return changes.sort((a, b) => a.version - b.version);
}

/** The index of the first change with a version above `after` (changes are sorted by version). */
function firstAfter(changes: readonly UserDeltaChange[], after: number): number {
  let [low, high] = [0, changes.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (changes[middle]!.version <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}

import { randomBytes } from 'node:crypto';

/**
 * An event's place in its writer's sequence. `writer` is fixed for an AuditLog (one per process); `number` counts
 * from 1. `unwritten` lists this writer's earlier numbers that it had built and not yet appended when it built this
 * one: events whose change may have failed (then the number is burned and no event will ever carry it) or may still
 * be under way (then the event follows). `unwrittenRuns` lists, first and last, runs of earlier numbers the writer
 * knows to be burned: it gave their events up (their change not made, their write-ahead item taken back).
 *
 * What the archive's verifier (`--events`) makes of it: a number of a writer that no archived event carries is a hole
 * unless a later event of the same writer lists it as unwritten. So an event lost or deleted after its change was
 * written, once its writer had appended it, is reported; a burned number is not. Honest limits: a number the writer
 * listed while it was in flight and that was then appended and deleted is taken for burned (at most the 100 newest
 * in flight are listed, so of a bulk write's batch deleted all but its last, the hole shows all but 100); numbers
 * after a writer's last archived event cannot be checked (nobody vouches for them); the table is not signed, so
 * someone able to rewrite it can rewrite the numbers too. It catches loss and plain deletion, not a forger with the
 * storage key.
 *
 * Runs are only ever of numbers given up, never of numbers in flight: a bulk write's batch whose changes were all
 * unchanged or failed burns a thousand at once, which 100 numbers listed one by one could not vouch for.
 */
export interface AuditSequence {
  writer: string;
  number: number;
  unwritten?: number[];
  unwrittenRuns?: Array<[number, number]>;
}

/** At most this many unwritten numbers, and this many runs, are carried (a writer whose every write fails must not grow its events). */
export const MAX_UNWRITTEN = 100;
/** At most this many numbers an event vouches for in all, one by one and in runs: the verifier refuses more. */
export const MAX_VOUCHED = 10_000;
/** At most this many numbers in flight are kept open (the oldest are forgotten: reported as holes if never appended). */
const MAX_OPEN = MAX_UNWRITTEN * 10;
/** At most this many burned numbers are kept to list in runs, beside the numbers in flight listed one by one. */
const MAX_BURNED = MAX_VOUCHED - MAX_UNWRITTEN;

/** One writer's counter, the numbers it built and has not seen appended or vouched for, and those it gave up. */
export class AuditSequencer {
  readonly writer = randomBytes(8).toString('hex');
  #next = 1;
  readonly #open = new Set<number>();
  /** Ascending, disjoint, not adjacent. */
  #burned: Array<[number, number]> = [];

  next(): AuditSequence {
    const number = this.#next++;
    const unwritten = newestOpen(this.#open, number);
    const unwrittenRuns = this.#burned.map(([first, last]): [number, number] => [first, last]);
    this.#open.add(number);
    if (this.#open.size > MAX_OPEN) this.#open.delete(this.#open.values().next().value!);
    return { writer: this.writer, number, ...(unwritten.length > 0 ? { unwritten } : {}), ...(unwrittenRuns.length > 0 ? { unwrittenRuns } : {}) };
  }

  /** An event of this writer is in the log: its number is accounted for, and so are those it listed as unwritten. */
  appended(sequence: AuditSequence | undefined): void {
    if (sequence?.writer !== this.writer) return;
    this.#open.delete(sequence.number);
    for (const number of sequence.unwritten ?? []) this.#open.delete(number);
    for (const run of sequence.unwrittenRuns ?? []) this.#burned = without(this.#burned, run);
  }

  /**
   * Events of this writer given up: never to be appended (their change not made, their write-ahead item taken back).
   * Their numbers are listed in runs from now on, until an appended event has listed them. Numbers no longer open are
   * taken too: a bulk write builds a batch's thousands of events before it gives any up, and the open set keeps only
   * the newest MAX_OPEN.
   */
  burned(sequences: ReadonlyArray<AuditSequence | undefined>): void {
    const numbers = sequences.filter((s) => s?.writer === this.writer && s.number < this.#next).map((s) => s!.number);
    for (const number of numbers) this.#open.delete(number);
    if (numbers.length === 0) return;
    this.#burned = merged([...this.#burned, ...numbers.map((n): [number, number] => [n, n])]);
    // Too many given up and never listed by an appended event: the oldest are forgotten (and reported as holes).
    while (this.#burned.length > MAX_UNWRITTEN) this.#burned.shift();
    let excess = this.#burned.reduce((sum, [first, last]) => sum + last - first + 1, 0) - MAX_BURNED;
    while (excess > 0) {
      const [first, last] = this.#burned[0]!;
      if (last - first + 1 <= excess) this.#burned.shift();
      else this.#burned[0] = [first + excess, last];
      excess -= Math.min(excess, last - first + 1);
    }
  }
}

/**
 * The newest open numbers below `below`, at most MAX_UNWRITTEN, ascending. Walked down from the newest first: a bulk
 * write's batch in flight holds them all there, and the whole set need not be read for every one of its events.
 */
function newestOpen(open: Set<number>, below: number): number[] {
  const newest: number[] = [];
  for (let number = below - 1; number >= Math.max(1, below - 2 * MAX_UNWRITTEN) && newest.length < MAX_UNWRITTEN; number--) {
    if (open.has(number)) newest.push(number);
  }
  if (newest.length === MAX_UNWRITTEN || newest.length === open.size) return newest.reverse();
  return [...open].slice(-MAX_UNWRITTEN);
}

/** Runs sorted and joined where they overlap or touch. */
export function merged(runs: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const joined: Array<[number, number]> = [];
  for (const [first, last] of [...runs].sort((a, b) => a[0] - b[0])) {
    const previous = joined.at(-1);
    if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else joined.push([first, last]);
  }
  return joined;
}

/** Runs with the numbers of `run` taken out. */
function without(runs: ReadonlyArray<[number, number]>, [from, to]: readonly [number, number]): Array<[number, number]> {
  return runs.flatMap(([first, last]): Array<[number, number]> => {
    if (last < from || first > to) return [[first, last]];
    return [...(first < from ? [[first, from - 1] as [number, number]] : []), ...(last > to ? [[to + 1, last] as [number, number]] : [])];
  });
}

import { randomBytes } from 'node:crypto';

/**
 * An event's place in its writer's sequence. `writer` is fixed for an AuditLog (one per process); `number` counts
 * from 1. `unwritten` lists this writer's earlier numbers that it had built and not yet appended when it built this
 * one: events whose change may have failed (then the number is burned and no event will ever carry it) or may still
 * be under way (then the event follows).
 *
 * What the archive's verifier (`--events`) makes of it: a number of a writer that no archived event carries is a hole
 * unless a later event of the same writer lists it as unwritten. So an event lost or deleted after its change was
 * written, once its writer had appended it, is reported; a burned number is not. Honest limits: a number the writer
 * listed while it was in flight and that was then appended and deleted is taken for burned; numbers after a writer's
 * last archived event cannot be checked (nobody vouches for them); the table is not signed, so someone able to
 * rewrite it can rewrite the numbers too. It catches loss and plain deletion, not a forger with the storage key.
 *
 * `unwrittenRuns` lists runs of such numbers, first and last (a bulk write's batch whose changes were all unchanged or
 * failed burns a thousand at once): listed one by one, the 100 an event carries could not vouch for them before the
 * writer's next events, or its next batch, pushed them out, and the verifier reported them as holes.
 */
export interface AuditSequence {
  writer: string;
  number: number;
  unwritten?: number[];
  unwrittenRuns?: Array<[number, number]>;
}

/** At most this many unwritten numbers or runs are carried (a writer whose every write fails must not grow its events). */
const MAX_UNWRITTEN = 100;
/** At most this many numbers are kept open: what a writer listing runs of them can still vouch for. */
const MAX_OPEN = 10_000;

/** One writer's counter, and the numbers it built and has not seen appended or vouched for in an appended event. */
export class AuditSequencer {
  readonly writer = randomBytes(8).toString('hex');
  #next = 1;
  readonly #open = new Set<number>();

  next(): AuditSequence {
    const number = this.#next++;
    const runs = runsOf(this.#open).slice(-MAX_UNWRITTEN);
    this.#open.add(number);
    if (this.#open.size > MAX_OPEN) this.#open.delete(this.#open.values().next().value!);
    const unwritten = runs.filter(([first, last]) => first === last).map(([first]) => first);
    const unwrittenRuns = runs.filter(([first, last]) => first !== last);
    return { writer: this.writer, number, ...(unwritten.length > 0 ? { unwritten } : {}), ...(unwrittenRuns.length > 0 ? { unwrittenRuns } : {}) };
  }

  /** An event of this writer is in the log: its number is accounted for, and so are those it listed as unwritten. */
  appended(sequence: AuditSequence | undefined): void {
    if (sequence?.writer !== this.writer) return;
    this.#open.delete(sequence.number);
    for (const number of unwrittenIn(sequence)) this.#open.delete(number);
  }
}

/** Every number an event lists as unwritten: one by one, and in runs. */
export function* unwrittenIn(sequence: AuditSequence): Generator<number> {
  yield* sequence.unwritten ?? [];
  for (const [first, last] of sequence.unwrittenRuns ?? []) for (let number = first; number <= last; number++) yield number;
}

/** Runs of consecutive numbers, first and last, in the order given (ascending: numbers are opened in order). */
function runsOf(numbers: Iterable<number>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const number of numbers) {
    const last = runs.at(-1);
    if (last && last[1] === number - 1) last[1] = number;
    else runs.push([number, number]);
  }
  return runs;
}

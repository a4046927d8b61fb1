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
 */
export interface AuditSequence {
  writer: string;
  number: number;
  unwritten?: number[];
}

/** At most this many unwritten numbers are carried (a writer whose every write fails must not grow its events). */
const MAX_UNWRITTEN = 100;

/** One writer's counter, and the numbers it built and has not seen appended or vouched for in an appended event. */
export class AuditSequencer {
  readonly writer = randomBytes(8).toString('hex');
  #next = 1;
  readonly #open = new Set<number>();

  next(): AuditSequence {
    const number = this.#next++;
    const unwritten = [...this.#open].slice(-MAX_UNWRITTEN);
    this.#open.add(number);
    if (this.#open.size > MAX_UNWRITTEN * 10) this.#open.delete(this.#open.values().next().value!);
    return unwritten.length > 0 ? { writer: this.writer, number, unwritten } : { writer: this.writer, number };
  }

  /** An event of this writer is in the log: its number is accounted for, and so are those it listed as unwritten. */
  appended(sequence: AuditSequence | undefined): void {
    if (sequence?.writer !== this.writer) return;
    this.#open.delete(sequence.number);
    for (const number of sequence.unwritten ?? []) this.#open.delete(number);
  }
}

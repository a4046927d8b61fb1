import type { AuditEvent } from '../../shared/store/auditLog';
import { MAX_UNWRITTEN, MAX_VOUCHED, merged, type AuditSequence } from '../../shared/store/auditSequence';

interface WriterTally {
  /** When each found number's event happened, to say where a hole lies. */
  times: Map<number, string>;
  /** Numbers a later event of the writer lists as built and not appended (shared/store/auditSequence.ts). */
  unwritten: Set<number>;
  /** Runs a later event lists as given up, kept as runs (first → the furthest last listed with it), never expanded. */
  unwrittenRuns: Map<number, number>;
}

/** The archived events' sequence numbers, by writer. Memory: a number and a time per event, and what they list. */
export class SequenceTally {
  readonly writers = new Map<string, WriterTally>();
  /** Events whose sequence a writer could not have written: reported, their listings not trusted. */
  readonly invalid: string[] = [];
  events = 0;
  withoutSequence = 0;

  add(event: AuditEvent): void {
    this.events++;
    const sequence = event.sequence as unknown;
    if (sequence === undefined || sequence === null) {
      this.withoutSequence++;
      return;
    }
    const problem = sequenceProblem(sequence);
    if (problem !== undefined) this.invalid.push(`event ${String(event.id)} at ${String(event.occurredDateTime)} has an invalid sequence: ${problem}`);
    if (!isPlace(sequence)) return;
    let writer = this.writers.get(sequence.writer);
    if (!writer) this.writers.set(sequence.writer, (writer = { times: new Map(), unwritten: new Set(), unwrittenRuns: new Map() }));
    writer.times.set(sequence.number, event.occurredDateTime);
    if (problem !== undefined) return;
    for (const number of sequence.unwritten ?? []) writer.unwritten.add(number);
    for (const [first, last] of sequence.unwrittenRuns ?? []) writer.unwrittenRuns.set(first, Math.max(last, writer.unwrittenRuns.get(first) ?? first));
  }
}

/** A writer and a number an event can carry (then the event counts as found, whatever else is wrong with it). */
function isPlace(sequence: unknown): sequence is AuditSequence {
  return typeof sequence === 'object' && sequence !== null && typeof (sequence as AuditSequence).writer === 'string' && isNumber((sequence as AuditSequence).number);
}

const isNumber = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;

/**
 * What is wrong with a sequence, as a writer builds it (auditSequence.ts): numbers listed are earlier than the
 * event's own (a writer lists only numbers it built before), at most MAX_UNWRITTEN of each kind and MAX_VOUCHED in
 * all. A later number listed would vouch for events after it; a huge run would cost the check its memory.
 */
function sequenceProblem(sequence: unknown): string | undefined {
  if (!isPlace(sequence)) return 'no writer, or a number that is not a positive integer';
  const { number, unwritten = [], unwrittenRuns = [] } = sequence;
  if (!Array.isArray(unwritten) || !Array.isArray(unwrittenRuns)) return 'unwritten numbers not listed as arrays';
  if (unwritten.length > MAX_UNWRITTEN || unwrittenRuns.length > MAX_UNWRITTEN) return `more than ${MAX_UNWRITTEN} unwritten numbers or runs listed`;
  if (!unwritten.every((n) => isNumber(n) && n < number)) return `unwritten numbers not all positive integers below its own (${number})`;
  const runsValid = unwrittenRuns.every((run) => Array.isArray(run) && run.length === 2 && isNumber(run[0]) && isNumber(run[1]) && run[0] <= run[1] && run[1] < number);
  if (!runsValid) return `unwritten runs not all [first, last] with 1 ≤ first ≤ last below its own number (${number})`;
  const listed = unwritten.length + unwrittenRuns.reduce((sum, [first, last]) => sum + last - first + 1, 0);
  if (listed > MAX_VOUCHED) return `${listed} unwritten numbers listed, more than ${MAX_VOUCHED}`;
  return undefined;
}

/**
 * The holes in each writer's sequence, from 1 to the highest number archived: numbers no event carries and no later
 * event of their writer lists as unwritten (a change that failed after its event was built burns its number, and the
 * writer's next event says so), with the archived events around them. Numbers after a writer's last archived event
 * cannot be judged: nobody vouches for them. Walks the numbers found and the runs vouched for, never each number
 * between them (a number can be as large as an event says). Events with an invalid sequence come first.
 */
export function sequenceHoles(tally: SequenceTally): { problems: string[]; summary: string } {
  const problems: string[] = [...tally.invalid];
  let holes = 0;
  let burned = 0;
  for (const [writer, seen] of tally.writers) {
    const found = [...seen.times.keys()].sort((a, b) => a - b);
    const vouched = merged([...seen.unwrittenRuns, ...[...seen.unwritten].map((n): [number, number] => [n, n])]);
    let run = 0;
    let previous = 0;
    for (const number of found) {
      // The numbers between the previous found and this one: vouched for, or holes. A run may reach past `number`.
      let from = previous + 1;
      const hole = (last: number) => void (last >= from && problems.push(holeOf(writer, seen, from, last, previous, number)) && holes++);
      for (; run < vouched.length && vouched[run]![0] < number; run++) {
        const [first, last] = vouched[run]!;
        if (last < from) continue;
        hole(first - 1);
        const end = Math.min(last, number - 1);
        burned += end - Math.max(first, from) + 1;
        from = end + 1;
        if (last >= number) break;
      }
      hole(number - 1);
      previous = number;
    }
  }
  const summary =
    `${tally.events} events from ${tally.writers.size} writers checked, ${holes} holes, ${burned} numbers vouched for as never written` +
    (tally.invalid.length > 0 ? `, ${tally.invalid.length} events with an invalid sequence` : '') +
    (tally.withoutSequence > 0 ? `, ${tally.withoutSequence} events without a sequence (older than it)` : '');
  return { problems, summary };
}

function holeOf(writer: string, seen: WriterTally, first: number, last: number, before: number, after: number): string {
  const range = first === last ? `number ${first}` : `numbers ${first}-${last}`;
  return `writer ${writer} is missing ${range} (events ${before > 0 ? `after ${seen.times.get(before)}` : 'from its start'}, before ${seen.times.get(after)})`;
}

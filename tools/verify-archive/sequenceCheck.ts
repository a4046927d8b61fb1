import type { AuditEvent } from '../../shared/store/auditLog';
import { unwrittenIn } from '../../shared/store/auditSequence';

interface WriterTally {
  numbers: Set<number>;
  /** Numbers a later event of the writer lists as built and not appended (shared/store/auditSequence.ts). */
  unwritten: Set<number>;
  /** When each found number's event happened, to say where a hole lies. */
  times: Map<number, string>;
}

/** The archived events' sequence numbers, by writer. Memory: a number and a time per event. */
export class SequenceTally {
  readonly writers = new Map<string, WriterTally>();
  events = 0;
  withoutSequence = 0;

  add(event: AuditEvent): void {
    this.events++;
    const sequence = event.sequence;
    if (!sequence) {
      this.withoutSequence++;
      return;
    }
    let writer = this.writers.get(sequence.writer);
    if (!writer) this.writers.set(sequence.writer, (writer = { numbers: new Set(), unwritten: new Set(), times: new Map() }));
    writer.numbers.add(sequence.number);
    writer.times.set(sequence.number, event.occurredDateTime);
    for (const number of unwrittenIn(sequence)) writer.unwritten.add(number);
  }
}

/**
 * The holes in each writer's sequence, from 1 to the highest number archived: a number no event carries and no later
 * event of its writer lists as unwritten (a change that failed after its event was built burns its number, and the
 * writer's next event says so). Numbers after a writer's last archived event cannot be judged: nobody vouches for them.
 */
export function sequenceHoles(tally: SequenceTally): { problems: string[]; summary: string } {
  const problems: string[] = [];
  let burned = 0;
  for (const [writer, seen] of tally.writers) {
    let highest = 0;
    for (const number of seen.numbers) highest = Math.max(highest, number);
    let holeStart: number | undefined;
    for (let number = 1; number <= highest + 1; number++) {
      const missing = number <= highest && !seen.numbers.has(number) && !seen.unwritten.has(number);
      if (number <= highest && !seen.numbers.has(number) && seen.unwritten.has(number)) burned++;
      if (missing) holeStart ??= number;
      else if (holeStart !== undefined) {
        const before = seen.times.get(holeStart - 1);
        const after = seen.times.get(number);
        const range = holeStart === number - 1 ? `number ${holeStart}` : `numbers ${holeStart}-${number - 1}`;
        problems.push(`writer ${writer} is missing ${range} (events ${before ? `after ${before}` : 'from its start'}, before ${after ?? 'its last'})`);
        holeStart = undefined;
      }
    }
  }
  const summary = `${tally.events} events from ${tally.writers.size} writers checked, ${problems.length} holes, ${burned} numbers vouched for as never written` + (tally.withoutSequence > 0 ? `, ${tally.withoutSequence} events without a sequence (older than it)` : '');
  return { problems, summary };
}

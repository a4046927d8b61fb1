import type { AuditEvent } from '../../shared/store/auditLog';
import { AuditSequencer, type AuditSequence } from '../../shared/store/auditSequence';
import { sequenceHoles, SequenceTally } from '../../tools/verify-archive/sequenceCheck';

/** A writer's sequence and the verifier's judgement of its holes (pure: no storage). */
const eventWith = (sequence: AuditSequence, at: string): AuditEvent => ({ id: `e${sequence.number}`, occurredDateTime: at, actorId: 'a', action: 'x', entityType: 'note', entityId: 'n', before: null, after: null, correlationId: 'c', initiator: { kind: 'user', id: 'a' }, result: 'success', catalogId: null, sequence });

function judge(events: AuditEvent[]) {
  const tally = new SequenceTally();
  for (const event of events) tally.add(event);
  return sequenceHoles(tally);
}

describe('an audit writer sequence', () => {
  it('lists in its next event a number built and never appended, so the verifier takes it for burned, not lost', () => {
    const writer = new AuditSequencer();
    const first = writer.next();
    writer.appended(first);
    writer.next(); // its change failed: never appended
    const third = writer.next();
    writer.appended(third);
    expect(third.unwritten).toEqual([2]);
    expect(judge([eventWith(first, 't1'), eventWith(third, 't3')]).problems).toEqual([]);
  });

  it('stops listing a number once an appended event has listed it', () => {
    const writer = new AuditSequencer();
    writer.next();
    const second = writer.next();
    writer.appended(second);
    expect(second.unwritten).toEqual([1]);
    expect(writer.next().unwritten).toBeUndefined();
  });

  it('lists a number in flight at once, and it is no hole when its event arrives after all', () => {
    const writer = new AuditSequencer();
    const slow = writer.next();
    const fast = writer.next();
    writer.appended(fast);
    writer.appended(slow);
    expect(fast.unwritten).toEqual([1]);
    expect(judge([eventWith(slow, 't1'), eventWith(fast, 't2')])).toMatchObject({ problems: [], summary: '2 events from 1 writers checked, 0 holes, 0 numbers vouched for as never written' });
  });

  it('vouches for a bulk write whose thousand events were none appended, in runs, with its next event or next batch', () => {
    const bulk = (writer: AuditSequencer, appended: boolean) => {
      const built = Array.from({ length: 1000 }, () => writer.next());
      if (!appended) writer.burned(built);
      return built.flatMap((sequence, n) => {
        if (!appended) return [];
        writer.appended(sequence);
        return [eventWith(sequence, `t${n}`)];
      });
    };
    const single = new AuditSequencer();
    bulk(single, false);
    const next = single.next();
    single.appended(next);
    expect(next.unwrittenRuns).toEqual([[1, 1000]]);
    expect(judge([eventWith(next, 't')])).toMatchObject({ problems: [], summary: '1 events from 1 writers checked, 0 holes, 1000 numbers vouched for as never written' });
    const batches = new AuditSequencer();
    bulk(batches, false);
    expect(judge(bulk(batches, true)).problems).toEqual([]);
  });

  it('lists numbers in flight one by one, the newest 100, never in runs: a bulk batch deleted all but its last shows its hole', () => {
    const writer = new AuditSequencer();
    const batch = Array.from({ length: 1000 }, () => writer.next());
    for (const sequence of batch) writer.appended(sequence);
    const last = batch[999]!;
    expect(last.unwrittenRuns).toBeUndefined();
    expect(last.unwritten).toEqual(Array.from({ length: 100 }, (_, i) => 900 + i));
    expect(judge([eventWith(last, 't')])).toMatchObject({
      problems: [`writer ${writer.writer} is missing numbers 1-899 (events from its start, before t)`],
      summary: '1 events from 1 writers checked, 1 holes, 100 numbers vouched for as never written',
    });
  });

  it('lists in runs only the numbers given up, until an appended event has listed them, and at most 100 runs', () => {
    const writer = new AuditSequencer();
    const built = Array.from({ length: 400 }, () => writer.next());
    // Every other one given up: 200 runs of one, the 100 newest kept.
    writer.burned(built.filter((s) => s.number % 2 === 0));
    const next = writer.next();
    expect(next.unwrittenRuns).toEqual(Array.from({ length: 100 }, (_, i) => [202 + 2 * i, 202 + 2 * i]));
    expect(next.unwritten).toHaveLength(100);
    writer.appended(next);
    expect(writer.next().unwrittenRuns).toBeUndefined();
  });

  it('vouches for a bulk batch given up whole though it built more events than it keeps open (3,000 for 1,000 grants)', () => {
    const writer = new AuditSequencer();
    writer.burned(Array.from({ length: 3000 }, () => writer.next()));
    const next = writer.next();
    expect(next.unwrittenRuns).toEqual([[1, 3000]]);
    expect(judge([eventWith(next, 't')])).toMatchObject({ problems: [] });
  });

  it('keeps at most 9,900 numbers given up, so that its events stay within what the verifier takes', () => {
    const writer = new AuditSequencer();
    for (let batch = 0; batch < 12; batch++) writer.burned(Array.from({ length: 1000 }, () => writer.next()));
    const next = writer.next();
    expect(next.unwrittenRuns).toEqual([[2101, 12000]]);
    expect(judge([eventWith(next, 't')])).toMatchObject({
      problems: [`writer ${writer.writer} is missing numbers 1-2100 (events from its start, before t)`],
      summary: '1 events from 1 writers checked, 1 holes, 9900 numbers vouched for as never written',
    });
  });

  it('reports an event whose runs reach its own number or beyond, and trusts none of what it lists', () => {
    const writer = new AuditSequencer();
    const built = Array.from({ length: 6 }, () => {
      const sequence = writer.next();
      writer.appended(sequence);
      return sequence;
    });
    const forged = { ...built[1]!, unwrittenRuns: [[3, 5]] as Array<[number, number]> };
    const { problems, summary } = judge([eventWith(built[0]!, 't1'), eventWith(forged, 't2'), eventWith(built[5]!, 't6')]);
    expect(problems).toEqual([
      'event e2 at t2 has an invalid sequence: unwritten runs not all [first, last] with 1 ≤ first ≤ last below its own number (2)',
      `writer ${writer.writer} is missing numbers 3-5 (events after t2, before t6)`,
    ]);
    expect(summary).toBe('3 events from 1 writers checked, 1 holes, 0 numbers vouched for as never written, 1 events with an invalid sequence');
  });

  it('reports a run too large, or a huge number, at once and without expanding it', () => {
    const started = Date.now();
    const huge = judge([eventWith({ writer: 'w', number: 2e7 + 1, unwrittenRuns: [[1, 2e7]] }, 't')]);
    expect(huge.problems).toEqual(['event e20000001 at t has an invalid sequence: 20000000 unwritten numbers listed, more than 10000', 'writer w is missing numbers 1-20000000 (events from its start, before t)']);
    const far = judge([eventWith({ writer: 'w', number: 1e12 }, 't')]);
    expect(far.problems).toEqual(['writer w is missing numbers 1-999999999999 (events from its start, before t)']);
    expect(judge([eventWith({ writer: 'w', number: 1.5, unwritten: [0] }, 't')]).problems).toEqual(['event e1.5 at t has an invalid sequence: no writer, or a number that is not a positive integer']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('verifies old events (numbers listed one by one, or no sequence) beside new ones', () => {
    const old = (number: number, unwritten?: number[]) => eventWith({ writer: 'old', number, ...(unwritten ? { unwritten } : {}) }, `o${number}`);
    const writer = new AuditSequencer();
    const [first, , , fourth] = Array.from({ length: 4 }, () => writer.next());
    const none = { ...eventWith(first!, 'n0'), sequence: undefined };
    const { problems, summary } = judge([none, old(1), old(3, [2]), old(5), eventWith(first!, 'n1'), eventWith(fourth!, 'n4')]);
    expect(problems).toEqual(['writer old is missing number 4 (events after o3, before o5)']);
    expect(summary).toBe('6 events from 2 writers checked, 1 holes, 3 numbers vouched for as never written, 1 events without a sequence (older than it)');
  });

  it('reports an appended event that is missing, as a range with the events around it', () => {
    const writer = new AuditSequencer();
    const events = [1, 2, 3, 4, 5].map((n) => {
      const sequence = writer.next();
      writer.appended(sequence);
      return eventWith(sequence, `t${n}`);
    });
    const { problems } = judge([events[0]!, events[3]!, events[4]!]);
    expect(problems).toEqual([`writer ${writer.writer} is missing numbers 2-3 (events after t1, before t4)`]);
  });
});

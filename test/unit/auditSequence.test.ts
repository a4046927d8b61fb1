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
    const bulk = (writer: AuditSequencer, appended: boolean) =>
      Array.from({ length: 1000 }, () => writer.next()).flatMap((sequence, n) => {
        if (!appended) return [];
        writer.appended(sequence);
        return [eventWith(sequence, `t${n}`)];
      });
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

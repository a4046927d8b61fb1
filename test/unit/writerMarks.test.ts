import { DateTime } from 'luxon';
import { writtenBy } from '../../shared/operations/audit/auditedChange';
import { markedVersion, markingWrites, writersAfter, type MarkedVersion, type Writers } from '../../shared/store/writerMarks';

const mark = (eventId: string, at: string) => ({ eventId, at });
/** A clock that answers `at`: when the write is made. */
const clockAt = (at: string) => ({ now: () => DateTime.fromISO(at, { zone: 'utc' }) });

describe("a document's audited writers, carried forward by each write", () => {
  it('starts them at a marked write, adds each later mark in front, and drops them at an unmarked write', async () => {
    expect(writersAfter(undefined)).toBeUndefined();
    const first = await markingWrites(mark('a', '2026-12-07T10:00:00.000Z'), clockAt('2026-12-07T10:00:00.000Z'), async () => writersAfter(undefined));
    expect(first).toEqual({ since: '2026-12-07T10:00:00.000Z', begun: '2026-12-07T10:00:00.000Z', marks: [mark('a', '2026-12-07T10:00:00.000Z')] });
    expect(writersAfter(first)).toBeUndefined();
    const second = await markingWrites(mark('b', '2026-12-07T11:00:00.000Z'), clockAt('2026-12-07T11:00:00.000Z'), async () => writersAfter(first));
    expect(second).toEqual({ since: '2026-12-07T10:00:00.000Z', begun: '2026-12-07T10:00:00.000Z', marks: [mark('b', '2026-12-07T11:00:00.000Z'), mark('a', '2026-12-07T10:00:00.000Z')] });
  });

  it("marks a change run inside another with both, and a write of the same change twice with its mark once", async () => {
    const written = await markingWrites(mark('outer', '2026-12-07T10:00:00.000Z'), clockAt('2026-12-07T10:01:00.000Z'), () =>
      markingWrites(mark('inner', '2026-12-07T10:01:00.000Z'), clockAt('2026-12-07T10:02:00.000Z'), async () => writersAfter(writersAfter(undefined))),
    );
    expect(written!.marks.map((m) => m.eventId)).toEqual(['inner', 'outer']);
    // Since the first write (the second carries it forward).
    expect(written!.since).toBe('2026-12-07T10:02:00.000Z');
  });

  it('keeps the newest sixteen marks, moving `since` to the write that dropped one, so a change whose mark left is not taken as absent', async () => {
    let writers: Writers | undefined;
    for (let i = 0; i < 20; i++) {
      const at = `2026-12-07T10:${String(i).padStart(2, '0')}:00.000Z`;
      writers = await markingWrites(mark(`e${i}`, at), clockAt(at.replace(':00.000Z', ':30.000Z')), async () => writersAfter(writers));
    }
    expect(writers!.marks).toHaveLength(16);
    expect(writers!.since).toBe('2026-12-07T10:19:30.000Z');
    expect(writtenBy(writers!, mark('e1', '2026-12-07T10:01:00.000Z'))).toBe('unknown');
    // They go on unbroken: when they began stays the first write's.
    expect(writers!.begun).toBe('2026-12-07T10:00:30.000Z');
  });

  it('tells a replacement refused on a version of a document whose oldest marks were dropped meanwhile', async () => {
    let writers: Writers | undefined;
    const writeAt = async (i: number) => {
      const at = `2026-12-07T10:${String(i).padStart(2, '0')}:00.000Z`;
      writers = await markingWrites(mark(`e${i}`, at), clockAt(at), async () => writersAfter(writers));
    };
    for (let i = 0; i < 16; i++) await writeAt(i);
    const read = markedVersion(writers)!;
    // Another writer's replacement lands on the version read (a seventeenth mark drops the oldest); this one's is refused.
    await writeAt(16);
    expect(writers!.since).toBe('2026-12-07T10:16:00.000Z');
    expect(writtenBy(writers!, mark('refused', '2026-12-07T10:16:00.000Z'), read)).toBe('no');
    // A later marked write still tells, and one after an unmarked write cannot.
    await writeAt(17);
    expect(writtenBy(writers!, mark('refused', '2026-12-07T10:16:00.000Z'), read)).toBe('no');
    writers = writersAfter(writers);
    await writeAt(18);
    expect(writers!.begun).toBe('2026-12-07T10:18:00.000Z');
    expect(writtenBy(writers!, mark('refused', '2026-12-07T10:16:00.000Z'), read)).toBe('unknown');
  });

  it("keeps a change's mark in its place when it writes again, so a replacement made on its version since is still told apart", async () => {
    const o = mark('o', '2026-12-07T10:00:00.000Z');
    let writers = await markingWrites(o, clockAt('2026-12-07T10:00:00.000Z'), async () => writersAfter(undefined));
    const read = markedVersion(writers)!;
    // X's replacement on that version lands; O, still running, writes again (an inner change of its own).
    const x = mark('x', '2026-12-07T10:01:00.000Z');
    writers = await markingWrites(x, clockAt('2026-12-07T10:01:00.000Z'), async () => writersAfter(writers));
    writers = await markingWrites(o, clockAt('2026-12-07T10:02:00.000Z'), () =>
      markingWrites(mark('inner', '2026-12-07T10:02:00.000Z'), clockAt('2026-12-07T10:02:00.000Z'), async () => writersAfter(writers)),
    );
    expect(writers!.marks.map((m) => m.eventId)).toEqual(['inner', 'x', 'o']);
    // Enough later writers to drop the oldest: O's goes before X's, and X's landing is never denied.
    for (let n = 3; n < 17; n++) {
      const at = `2026-12-07T10:${String(n).padStart(2, '0')}:00.000Z`;
      writers = await markingWrites(mark(`e${n}`, at), clockAt(at), async () => writersAfter(writers));
    }
    expect(writers!.marks.some((m) => m.eventId === 'o')).toBe(false);
    expect(writtenBy(writers!, x, read)).toBe('yes');
  });

  it("starts them afresh at the time of the write, not of a long-running change's start, so a change whose mark an unmarked write dropped is not taken as absent", async () => {
    const c = mark('c', '2026-12-07T10:30:00.000Z');
    const byC = await markingWrites(c, clockAt('2026-12-07T10:30:01.000Z'), async () => writersAfter(undefined));
    const unmarked = writersAfter(byC);
    expect(unmarked).toBeUndefined();
    // D began at 10:00, more than the settle time before C, and writes at 10:40, after the unmarked write.
    const byD = await markingWrites(mark('d', '2026-12-07T10:00:00.000Z'), clockAt('2026-12-07T10:40:00.000Z'), async () => writersAfter(unmarked));
    expect(byD).toEqual({ since: '2026-12-07T10:40:00.000Z', begun: '2026-12-07T10:40:00.000Z', marks: [mark('d', '2026-12-07T10:00:00.000Z')] });
    expect(writtenBy(byD!, c)).toBe('unknown');
  });
});

describe('whether a change written ahead is among the writers', () => {
  const writers: Writers = { since: '2026-12-07T10:00:00.000Z', marks: [mark('other', '2026-12-07T11:00:00.000Z'), mark('mine', '2026-12-07T10:30:00.000Z')] };
  it('is, when its mark is there', () => expect(writtenBy(writers, mark('mine', '2026-12-07T10:30:00.000Z'))).toBe('yes'));
  it('is not, when the marks go back to a write begun more than the settle time before it was written ahead', () =>
    expect(writtenBy(writers, mark('stopped', '2026-12-07T10:15:00.000Z'))).toBe('no'));
  it('cannot tell, when the marks begin later than that: what the document holds decides', () =>
    expect(writtenBy(writers, mark('stopped', '2026-12-07T10:14:59.999Z'))).toBe('unknown'));
  describe('for a replacement on a marked version', () => {
    // Marks begun too late for the settle-time rule to tell about a change written ahead at 10:31.
    const onVersion: Writers = { since: '2026-12-07T10:20:00.000Z', marks: [mark('other', '2026-12-07T11:00:00.000Z'), mark('version', '2026-12-07T10:20:00.000Z')] };
    const replaced = { mark: mark('version', '2026-12-07T10:20:00.000Z'), begun: '2026-12-07T10:20:00.000Z' };
    const lost = mark('lost', '2026-12-07T10:31:00.000Z');
    it('cannot tell without it', () => expect(writtenBy(onVersion, lost)).toBe('unknown'));
    it('is not, when the marks still hold that version, unbroken since it, and not its own', () => expect(writtenBy(onVersion, lost, replaced)).toBe('no'));
    it('cannot tell, when the marks were begun afresh since (another `since`, on a row written before `begun` was kept)', () =>
      expect(writtenBy({ ...onVersion, since: '2026-12-07T10:45:00.000Z' }, lost, replaced)).toBe('unknown'));
    it('cannot tell, when the marks were begun afresh since (another `begun`)', () =>
      expect(writtenBy({ ...onVersion, begun: '2026-12-07T10:45:00.000Z' }, lost, replaced)).toBe('unknown'));
    it('is not, when only the oldest marks were dropped since (`since` moved, `begun` kept)', () =>
      expect(writtenBy({ ...onVersion, since: '2026-12-07T10:45:00.000Z', begun: '2026-12-07T10:20:00.000Z' }, lost, replaced)).toBe('no'));
    it('cannot tell for an item written ahead before `begun` was kept (it carries `since`)', () =>
      expect(writtenBy(onVersion, lost, { mark: replaced.mark, since: replaced.begun } as unknown as MarkedVersion)).toBe('unknown'));
    it('is, when its own mark is there too', () => expect(writtenBy(onVersion, mark('other', '2026-12-07T11:00:00.000Z'), replaced)).toBe('yes'));
  });
});

import { createPublicKey } from 'node:crypto';
import { DateTime } from 'luxon';
import { newSigningKeyPem, sha256Hex, signingKeyFromPem, signText } from '../../shared/domain/archive/digestSigning';
import { stringToSign, type Digest } from '../../shared/domain/archive/archiveLayout';
import { archiveAuditLog } from '../../shared/operations/archive/archiveAuditLog';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { AuditEvent } from '../../shared/store/auditLog';
import { DocumentTable } from '../../shared/store/documentTable';
import { GrantStore, type GrantPointer } from '../../shared/store/grantStore';
import { locatorGroupOf, newRequestId } from '../../shared/store/groupedIds';
import { tableKey } from '../../shared/store/tableKeys';
import { verifyArchive } from '../../tools/verify-archive/verifyArchive';
import { archiveWorld, type ArchiveWorld } from '../support/archiveWorld';

/**
 * The audit archive on Azurite (DESIGN §2.8): hourly digests over event files, chained and signed, verified the way
 * `npm run verify-archive` does, and each kind of tampering reported.
 */
const run = (world: ArchiveWorld, holder = 'test') => archiveAuditLog(world.deps, { holder, budgetMs: 60_000 });
const verify = (world: ArchiveWorld, events = false) => verifyArchive(world.container, createPublicKey(world.key.privateKey), { events });

async function record(world: ArchiveWorld, at: string, entityId: string): Promise<AuditEvent> {
  world.setNow(at);
  return world.deps.audit.record({ actorId: 'admin', action: 'createNote', entityType: 'note', entityId, before: null, after: { entityId, text: 'x'.repeat(300) } });
}

describe('the audit archive after hourly runs (Azurite)', () => {
  const world = archiveWorld({ maxFileBytes: 1500 });
  afterAll(() => world.cleanUp());

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) await record(world, `2026-03-01T10:1${i}:00.000Z`, `ten-${i}`);
    await record(world, '2026-03-01T11:30:00.000Z', 'eleven');
    world.setNow('2026-03-01T13:03:00.000Z');
    expect(await run(world)).toMatchObject({ hoursArchived: 3, eventsArchived: 6, archivedUntil: '2026-03-01T13:00:00.000Z' });
  });

  it('holds the hours split into event files by size and one digest per hour, empty hours included, chained', async () => {
    const names: string[] = [];
    for await (const name of world.container.names()) names.push(name);
    expect(names).toEqual([
      'audit/2026/03/01/10/events-0001.jsonl',
      'audit/2026/03/01/10/events-0002.jsonl',
      'audit/2026/03/01/10/events-0003.jsonl',
      'audit/2026/03/01/11/events-0001.jsonl',
      'digests/2026/03/01/10.json',
      'digests/2026/03/01/11.json',
      'digests/2026/03/01/12.json',
    ]);
    const digest = async (hour: string) => JSON.parse((await world.container.get(`digests/2026/03/01/${hour}.json`))!.bytes.toString()) as Digest;
    const [ten, eleven, twelve] = [await digest('10'), await digest('11'), await digest('12')];
    expect(ten).toMatchObject({ digestStartTime: '2026-03-01T10:00:00.000Z', digestEndTime: '2026-03-01T11:00:00.000Z', eventCount: 5, previousDigestPath: null, previousDigestSignature: null, digestPublicKeyFingerprint: world.key.fingerprint });
    expect(ten.files.map((f) => f.count)).toEqual([2, 2, 1]);
    expect(ten.oldestEvent?.occurredDateTime).toBe('2026-03-01T10:10:00.000Z');
    expect(ten.newestEvent?.occurredDateTime).toBe('2026-03-01T10:14:00.000Z');
    const tenBlob = (await world.container.get('digests/2026/03/01/10.json'))!;
    expect(eleven).toMatchObject({ previousDigestPath: 'digests/2026/03/01/10.json', previousDigestHashValue: sha256Hex(tenBlob.bytes), previousDigestSignature: tenBlob.metadata.signature });
    expect(twelve).toMatchObject({ eventCount: 0, files: [], oldestEvent: null, previousDigestPath: 'digests/2026/03/01/11.json' });
  });

  it('passes the verifier, also with --events', async () => {
    const report = await verify(world, true);
    expect(report.lines.at(-1)).toBe('3/3 digest files valid, 4/4 event files valid, 0 sequence holes');
    expect(report.lines).toContain('digests/2026/03/01/11.json: valid');
    expect(report.ok).toBe(true);
  });

  it('writes nothing on a second run within the same hour: every closed hour has its digest', async () => {
    const before = await world.container.snapshot();
    expect(await run(world)).toMatchObject({ hoursArchived: 0 });
    expect(await world.container.snapshot()).toEqual(before);
  });

  /** Tampers with the archive, verifies, and puts it back as it was. */
  async function tampered(change: () => Promise<void>): Promise<{ lines: string[]; ok: boolean }> {
    const before = await world.container.snapshot();
    await change();
    const report = await verify(world);
    await world.container.clear();
    for (const [name, value] of Object.entries(before)) {
      const cut = value.lastIndexOf('|');
      const signature = value.slice(cut + 1);
      await world.container.overwrite(name, Buffer.from(value.slice(0, cut)), signature ? { signature } : {});
    }
    expect((await verify(world)).ok).toBe(true);
    return report;
  }

  it('never replaces an archived blob: the same bytes again are done, other bytes are refused and leave it as it was', async () => {
    const name = 'audit/2026/03/01/10/events-0001.jsonl';
    const blob = (await world.container.get(name))!;
    await world.container.put(name, blob.bytes, blob.metadata);
    await expect(world.container.put(name, Buffer.from('{"id":"other"}\n'))).rejects.toThrow(/already holds a different/);
    expect((await world.container.get(name))!.bytes.equals(blob.bytes)).toBe(true);
  });

  it('reports a modified event file', async () => {
    const report = await tampered(async () => {
      const blob = (await world.container.get('audit/2026/03/01/10/events-0002.jsonl'))!;
      await world.container.overwrite('audit/2026/03/01/10/events-0002.jsonl', Buffer.from(blob.bytes.toString().replace('ten-2', 'ten-X')));
    });
    expect(report.ok).toBe(false);
    expect(report.lines).toContain("audit/2026/03/01/10/events-0002.jsonl: INVALID: hash value doesn't match");
    expect(report.lines.at(-1)).toBe('3/3 digest files valid, 3/4 event files valid');
  });

  it('reports a deleted event file', async () => {
    const report = await tampered(() => world.container.delete('audit/2026/03/01/11/events-0001.jsonl'));
    expect(report.ok).toBe(false);
    expect(report.lines).toContain('audit/2026/03/01/11/events-0001.jsonl: INVALID: not found');
  });

  it('reports a deleted digest, and the hours it leaves uncovered', async () => {
    const report = await tampered(() => world.container.delete('digests/2026/03/01/11.json'));
    expect(report.ok).toBe(false);
    expect(report.lines).toContain('digests/2026/03/01/11.json: INVALID: not found');
    expect(report.lines).toContain('gap: no digest covers 2026-03-01T11:00:00.000Z to 2026-03-01T12:00:00.000Z');
    // The files only the deleted digest named are now named by none.
    expect(report.lines).toContain('audit/2026/03/01/11/events-0001.jsonl: INVALID: not named by any digest');
  });

  it('reports a digest copied to another name as moved', async () => {
    const report = await tampered(async () => {
      const blob = (await world.container.get('digests/2026/03/01/10.json'))!;
      await world.container.overwrite('digests/2026/03/01/13.json', blob.bytes, blob.metadata);
    });
    expect(report.ok).toBe(false);
    expect(report.lines).toContain(`digests/2026/03/01/13.json: INVALID: has been moved from its original location (${world.container.name}/digests/2026/03/01/10.json)`);
    expect(report.lines).toContain('digests/2026/03/01/12.json: valid');
  });

  it('reports a file that no digest names', async () => {
    const report = await tampered(() => world.container.overwrite('audit/2026/03/01/12/events-0001.jsonl', Buffer.from('{"id":"planted"}\n')));
    expect(report.ok).toBe(false);
    expect(report.lines).toContain('audit/2026/03/01/12/events-0001.jsonl: INVALID: not named by any digest');
    expect(report.lines.at(-1)).toBe('3/3 digest files valid, 4/4 event files valid, 1 files not named by any digest');
  });

  it('reports a digest rewritten and re-signed with another key', async () => {
    const forger = signingKeyFromPem(newSigningKeyPem());
    const report = await tampered(async () => {
      const blob = (await world.container.get('digests/2026/03/01/11.json'))!;
      const forged: Digest = { ...(JSON.parse(blob.bytes.toString()) as Digest), files: [], eventCount: 0, digestPublicKeyFingerprint: forger.fingerprint };
      const bytes = Buffer.from(`${JSON.stringify(forged, null, 2)}\n`);
      await world.container.overwrite('digests/2026/03/01/11.json', bytes, { signature: signText(forger, stringToSign(forged, sha256Hex(bytes))) });
    });
    expect(report.ok).toBe(false);
    expect(report.lines.find((l) => l.startsWith('digests/2026/03/01/11.json:'))).toMatch(/^digests\/2026\/03\/01\/11\.json: INVALID: signature verification failed/);
  });

  it('reports a digest re-signed with another key that claims the archive key', async () => {
    const forger = signingKeyFromPem(newSigningKeyPem());
    const report = await tampered(async () => {
      const blob = (await world.container.get('digests/2026/03/01/12.json'))!;
      const forged = JSON.parse(blob.bytes.toString()) as Digest;
      await world.container.overwrite('digests/2026/03/01/12.json', blob.bytes, { signature: signText(forger, stringToSign(forged, sha256Hex(blob.bytes))) });
    });
    expect(report.lines).toContain('digests/2026/03/01/12.json: INVALID: signature verification failed');
    expect(report.ok).toBe(false);
  });
});

describe("the archive's check of the events' own sequence (--events)", () => {
  const world = archiveWorld();
  afterAll(() => world.cleanUp());

  it('takes a number burned by a change that failed for what it is, and reports an event deleted before archiving', async () => {
    await record(world, '2026-03-01T10:00:00.000Z', 'first');
    // Built for a change whose transaction then failed: never appended, its number burned.
    world.deps.audit.event({ actorId: 'admin', action: 'createNote', entityType: 'note', entityId: 'failed', before: null, after: null });
    const vouching = await record(world, '2026-03-01T10:05:00.000Z', 'vouches');
    expect(vouching.sequence?.unwritten).toEqual([2]);
    const lost = await record(world, '2026-03-01T10:10:00.000Z', 'lost');
    await record(world, '2026-03-01T10:15:00.000Z', 'last');
    await world.deps.audit.remove([lost]);
    world.setNow('2026-03-01T11:03:00.000Z');
    await run(world);

    const report = await verify(world, true);
    expect(report.ok).toBe(false);
    expect(report.lines).toContain(`events: INVALID: writer ${lost.sequence!.writer} is missing number 4 (events after 2026-03-01T10:05:00.000Z, before 2026-03-01T10:15:00.000Z)`);
    expect(report.lines).toContain('events: 3 events from 1 writers checked, 1 holes, 1 numbers vouched for as never written');
    // Without --events the files themselves are all intact.
    expect((await verify(world)).ok).toBe(true);
  });
});

describe('an archive run cut off midway (fault hook)', () => {
  const world = archiveWorld({ maxFileBytes: 1500 });
  afterAll(() => world.cleanUp());

  it('resumes from the last hour it finished, and the archive is byte for byte what an uninterrupted run writes', async () => {
    for (let i = 0; i < 4; i++) await record(world, `2026-03-01T10:2${i}:00.000Z`, `ten-${i}`);
    for (let i = 0; i < 4; i++) await record(world, `2026-03-01T11:2${i}:00.000Z`, `eleven-${i}`);
    world.setNow('2026-03-01T12:03:00.000Z');
    // Hour 10: two files and a digest; hour 11: cut off after its first file.
    world.container.failAfter = 4;
    await expect(run(world)).rejects.toThrow('fault hook');
    const cut = await world.container.snapshot();
    expect(Object.keys(cut)).toEqual(['audit/2026/03/01/10/events-0001.jsonl', 'audit/2026/03/01/10/events-0002.jsonl', 'audit/2026/03/01/11/events-0001.jsonl', 'digests/2026/03/01/10.json']);

    world.container.failAfter = Infinity;
    expect(await run(world, 'rerun')).toMatchObject({ hoursArchived: 1, eventsArchived: 4 });
    const resumed = await world.container.snapshot();
    expect(resumed['audit/2026/03/01/11/events-0001.jsonl']).toBe(cut['audit/2026/03/01/11/events-0001.jsonl']);

    await world.container.clear();
    world.forgetCheckpoint();
    expect(await run(world, 'again')).toMatchObject({ hoursArchived: 2 });
    expect(await world.container.snapshot()).toEqual(resumed);
    expect((await verify(world, true)).ok).toBe(true);
  });
});

describe('retention after archiving (AUDIT_RETENTION_DAYS=1)', () => {
  const world = archiveWorld({ retentionDays: 1 });
  afterAll(() => world.cleanUp());

  const hotIds = async () => {
    const ids: string[] = [];
    for await (const e of world.deps.audit.between(DateTime.fromISO('2026-03-01T00:00:00Z'), DateTime.fromISO('2026-03-03T00:00:00Z'))) ids.push(e.entityId);
    return ids;
  };

  it('removes archived events older than a day from the hot table; one appended late leaves with the hour that archived it', async () => {
    await record(world, '2026-03-01T10:10:00.000Z', 'archived');
    await record(world, '2026-03-01T11:10:00.000Z', 'younger');
    world.setNow('2026-03-01T11:03:00.000Z');
    await run(world);
    // Appended late into hour 10, which is archived already: hour 11 archives it (its late file).
    const late = world.deps.audit.event({ actorId: 'admin', action: 'createNote', entityType: 'note', entityId: 'late', before: null, after: null });
    await world.deps.audit.append({ ...late, occurredDateTime: '2026-03-01T10:30:00.000Z' });

    world.setNow('2026-03-02T10:59:00.000Z');
    expect(await run(world)).toMatchObject({ eventsRemoved: 0, lateEventsArchived: 1 });
    world.setNow('2026-03-02T11:03:00.000Z');
    expect(await run(world)).toMatchObject({ hoursArchived: 1, eventsRemoved: 1, unarchivedKept: 0 });
    expect(await hotIds()).toEqual(['late', 'younger']);

    // Hour 11 retires: its own event and the late one its late file holds.
    world.setNow('2026-03-02T12:03:00.000Z');
    expect(await run(world)).toMatchObject({ hoursArchived: 1, eventsRemoved: 2, unarchivedKept: 0 });
    expect(await hotIds()).toEqual([]);
    expect((await verify(world, true)).ok).toBe(true);
  });

  it('keeps a late event whose archive file does not match its digest, and removes nothing of that hour', async () => {
    await record(world, '2026-03-03T10:10:00.000Z', 'own');
    world.setNow('2026-03-03T11:01:00.000Z');
    const late = world.deps.audit.event({ actorId: 'admin', action: 'createNote', entityType: 'note', entityId: 'late-tampered', before: null, after: null });
    await world.deps.audit.append({ ...late, occurredDateTime: '2026-03-03T10:40:00.000Z' });
    await record(world, '2026-03-03T11:30:00.000Z', 'own-of-eleven');
    world.setNow('2026-03-03T12:03:00.000Z');
    expect(await run(world)).toMatchObject({ lateEventsArchived: 1 });
    await world.container.overwrite('audit/2026/03/03/11/late-0001.jsonl', Buffer.from('{}\n'));
    world.setNow('2026-03-04T11:03:00.000Z');
    await run(world);
    world.setNow('2026-03-04T12:03:00.000Z');
    await expect(run(world)).rejects.toThrow("does not match its digest's hash");
    const hot: string[] = [];
    for await (const e of world.deps.audit.between(DateTime.fromISO('2026-03-03T00:00:00Z'), DateTime.fromISO('2026-03-04T00:00:00Z'))) hot.push(e.entityId);
    expect(hot).toEqual(['late-tampered', 'own-of-eleven']);
  });
});

describe('retention of completed requests (AUDIT_RETENTION_DAYS=1)', () => {
  const world = archiveWorld({ retentionDays: 1 });
  afterAll(() => world.cleanUp());

  const request = (id: string, state: AssignmentRequest['state'], completedDateTime: string | null): AssignmentRequest => ({
    id,
    requestType: 'userAdd',
    state,
    status: state,
    createdDateTime: '2026-03-01T10:00:00.000Z',
    completedDateTime,
    justification: null,
    answers: [],
    schedule: { startDateTime: null, expiration: null },
    accessPackageId: 'package',
    assignmentPolicyId: 'policy',
    catalogId: 'catalog',
    targetId: 'target',
    assignmentId: null,
    requestorId: 'target',
    approval: null,
  });
  async function store(value: AssignmentRequest, at: string): Promise<void> {
    await world.deps.grants.indexRequest(value);
    await world.deps.grants.requests.insert(GrantStore.targetKey(value.targetId), GrantStore.requestKey(value.id), value);
    world.setNow(at);
    await world.deps.audit.record({ actorId: 'target', action: 'denyRequest', entityType: 'assignmentRequest', entityId: value.id, before: null, after: value });
  }

  it('archives a request completed more than a day ago into its hour\'s requests file, then removes it; an open one stays', async () => {
    const denied = request('denied-request', 'denied', '2026-03-01T10:20:00.000Z');
    await store(denied, '2026-03-01T10:20:00.000Z');
    await store(request('open-request', 'pendingApproval', null), '2026-03-01T10:25:00.000Z');
    world.setNow('2026-03-02T11:03:00.000Z');

    expect(await run(world)).toMatchObject({ requestsArchived: 1, requestsRemoved: 1, eventsRemoved: 2 });

    expect(await world.deps.grants.findRequest('denied-request')).toBeUndefined();
    expect(await world.deps.grants.findRequest('open-request')).toBeDefined();
    const archived = (await world.container.get('audit/2026/03/02/10/requests-0001.jsonl'))!.bytes.toString();
    expect(JSON.parse(archived)).toEqual(denied);
    const digest = JSON.parse((await world.container.get('digests/2026/03/02/10.json'))!.bytes.toString()) as Digest;
    expect(digest.files.map((f) => [f.path, f.kind, f.count])).toEqual([['audit/2026/03/02/10/requests-0001.jsonl', 'requests', 1]]);
    // The removal is audited, one event per request, in the hour the run happened.
    const events: AuditEvent[] = [];
    for await (const e of world.deps.audit.between(DateTime.fromISO('2026-03-02T11:00:00Z'), DateTime.fromISO('2026-03-02T12:00:00Z'))) events.push(e);
    expect(events.map((e) => [e.action, e.entityId, e.after])).toEqual([['deleteRequest', 'denied-request', null]]);
    expect((await verify(world)).ok).toBe(true);
  });

  it("leaves the record of a requestor's group whose requests for others it removed to their next list, which deletes it", async () => {
    const manager = 'manager-of-target';
    const id = newRequestId(DateTime.fromISO('2026-03-02T11:10:00Z'), manager);
    await store({ ...request(id, 'denied', '2026-03-02T11:10:00.000Z'), requestorId: manager }, '2026-03-02T11:10:00.000Z');
    const index = new DocumentTable<GrantPointer>(() => world.tables.get('grantIndex'), 'grant index entry');
    const groupRecord = () => index.get(tableKey('requestor', manager), tableKey('locatorGroup', locatorGroupOf(id)!));
    expect(await groupRecord()).toBeDefined();
    world.setNow('2026-03-03T12:03:00.000Z');

    expect(await run(world)).toMatchObject({ requestsRemoved: 1 });
    expect(await world.deps.grants.findRequest(id)).toBeUndefined();
    expect(await world.deps.grants.requestsMadeForOthersBy(manager, world.deps.clock.now())).toEqual([]);
    expect(await groupRecord()).toBeUndefined();
  });
});

describe('late events: appended after their hour was archived (written ahead and completed later, an outbox repaired)', () => {
  const world = archiveWorld({ maxFileBytes: 1500 });
  afterAll(() => world.cleanUp());

  it('archives them once, in the late file of the hour they were appended in; the chain verifies with no hole and reruns byte for byte', async () => {
    await record(world, '2026-03-01T10:10:00.000Z', 'on-time');
    // Written ahead at 10:55 (auditedChange.ts); the process stops before appending it.
    world.setNow('2026-03-01T10:55:00.000Z');
    const ahead = world.deps.audit.event({ actorId: 'admin', action: 'createNote', entityType: 'note', entityId: 'written-ahead', before: null, after: null });
    world.setNow('2026-03-01T11:03:00.000Z');
    expect(await run(world)).toMatchObject({ hoursArchived: 1, eventsArchived: 1, lateEventsArchived: 0 });
    // 15 minutes later the expiration sweep finds the change and appends the event (completeAuditEvent).
    world.setNow('2026-03-01T11:10:00.000Z');
    await world.deps.audit.append(ahead);
    await record(world, '2026-03-01T11:20:00.000Z', 'next');
    world.setNow('2026-03-01T12:03:00.000Z');
    expect(await run(world)).toMatchObject({ hoursArchived: 1, eventsArchived: 2, lateEventsArchived: 1 });

    const names: string[] = [];
    for await (const name of world.container.names()) names.push(name);
    expect(names).toEqual(['audit/2026/03/01/10/events-0001.jsonl', 'audit/2026/03/01/11/events-0001.jsonl', 'audit/2026/03/01/11/late-0001.jsonl', 'digests/2026/03/01/10.json', 'digests/2026/03/01/11.json']);
    const lines = (path: string) => world.container.get(path).then((blob) => blob!.bytes.toString().trim().split('\n').map((line) => JSON.parse(line) as AuditEvent));
    expect((await lines('audit/2026/03/01/10/events-0001.jsonl')).map((e) => e.entityId)).toEqual(['on-time']);
    expect((await lines('audit/2026/03/01/11/late-0001.jsonl')).map((e) => [e.entityId, e.occurredDateTime, e.archiveHour])).toEqual([['written-ahead', '2026-03-01T10:55:00.000Z', '2026-03-01T11:00:00.000Z']]);
    const eleven = JSON.parse((await world.container.get('digests/2026/03/01/11.json'))!.bytes.toString()) as Digest;
    expect(eleven.files.map((f) => [f.kind, f.count])).toEqual([['events', 1], ['late', 1]]);

    const report = await verify(world, true);
    expect(report.lines.at(-1)).toBe('2/2 digest files valid, 3/3 event files valid, 0 sequence holes');
    expect(report.ok).toBe(true);

    // Archived again from scratch: the same bytes.
    const first = await world.container.snapshot();
    await world.container.clear();
    world.forgetCheckpoint();
    world.setNow('2026-03-01T12:30:00.000Z');
    expect(await run(world, 'again')).toMatchObject({ hoursArchived: 2, lateEventsArchived: 1 });
    expect(await world.container.snapshot()).toEqual(first);
  });
});

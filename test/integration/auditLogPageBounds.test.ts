import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { listAuditEvents, MAX_QUERIES_PER_SHARD } from '../../shared/operations/audit/listAuditEvents';
import { AUDIT_SHARDS, AuditLog, type AuditEvent, type AuditPosition, type AuditSelection } from '../../shared/store/auditLog';
import { Tables } from '../../shared/store/tables';
import { startCountingProxy, type CountingProxy } from '../../tools/bench/countingProxy';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * A page of the audit log makes at most MAX_QUERIES_PER_SHARD storage queries in each shard, counted at the wire
 * (a proxy in front of Azurite), and paging on through the links still yields exactly the matching events, newest
 * first, each once. Azurite answers a filtered range in one query however many partitions it crosses (Azure stops
 * at partition boundaries), so the cap is reached here the way Azurite can show it: a table filter that matches
 * many events read a few at a time while the page's own filter keeps few of them.
 */
describe('audit log pages with a bounded number of storage queries (Azurite, counted)', () => {
  let proxy: CountingProxy;
  let tables: Tables;
  let audit: AuditLog;
  const events: AuditEvent[] = [];
  const start = DateTime.fromISO('2026-03-01T00:00:00.000Z', { zone: 'utc' });
  const cap = AUDIT_SHARDS * MAX_QUERIES_PER_SHARD;

  beforeAll(async () => {
    const direct = testStorageConnectionString();
    const tableEndpoint = /TableEndpoint=([^;]+)/.exec(direct)![1]!;
    const account = new URL(tableEndpoint).pathname;
    proxy = await startCountingProxy(new URL(tableEndpoint).origin);
    tables = new Tables(direct.replace(tableEndpoint, `${proxy.url}${account}`), `bounds${randomUUID().slice(0, 6)}`);
    audit = new AuditLog(tables, { now: () => start });
    // 480 events, one every 50 seconds over 400 minutes: hundreds of minute partitions. Every 40th is of the
    // catalog 'rare'; the others of 'c1'.
    for (let i = 0; i < 480; i++) {
      events.push({
        id: randomUUID(),
        occurredDateTime: start.plus({ seconds: i * 50 }).toISO()!,
        actorId: 'alice',
        action: 'updateAccessPackage',
        entityType: 'accessPackage',
        entityId: `p${i}`,
        before: null,
        after: null,
        correlationId: randomUUID(),
        initiator: { kind: 'user', id: 'alice' },
        result: 'success',
        catalogId: i % 40 === 7 ? 'rare' : 'c1',
      });
    }
    await audit.appendAll(events);
  }, 60_000);
  afterAll(async () => {
    await tables.deleteAll();
    await proxy.close();
  });

  const newestFirst = (list: AuditEvent[]) => [...list].sort((a, b) => b.occurredDateTime.localeCompare(a.occurredDateTime)).map((e) => e.entityId);

  /** Every page from the first, each page's storage round trips counted. */
  async function allPages(selection: AuditSelection, top: number, matches: (e: AuditEvent) => boolean) {
    const ids: string[] = [];
    const roundTrips: number[] = [];
    const sizes: number[] = [];
    let position: AuditPosition | undefined;
    do {
      proxy.reset();
      const page = await listAuditEvents({ audit }, selection, matches, top, position);
      roundTrips.push(proxy.counts().roundTrips);
      sizes.push(page.events.length);
      ids.push(...page.events.map((e) => e.entityId));
      position = page.next;
    } while (position && roundTrips.length < 500);
    return { ids, roundTrips, sizes };
  }

  it('a filter the table applies that matches little: exactly its events, newest first, within the cap a page', async () => {
    const { ids, roundTrips } = await allPages({ catalogIds: ['rare'] }, 5, () => true);
    expect(ids).toEqual(newestFirst(events.filter((e) => e.catalogId === 'rare')));
    expect(Math.max(...roundTrips)).toBeLessThanOrEqual(cap);
  });

  it('stops a page at the cap, short or empty, and the links lead through every match once', async () => {
    // The table keeps 'c1' (468 events); the page keeps the 5 whose number ends in 33: the table's answers are read
    // 4 rows a query, so a page runs out of queries long before it has 3 matches.
    const wanted = (e: AuditEvent) => e.entityId.endsWith('33');
    const { ids, roundTrips, sizes } = await allPages({ catalogIds: ['c1'] }, 3, wanted);
    expect(ids).toEqual(newestFirst(events.filter((e) => e.catalogId === 'c1' && wanted(e))));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...roundTrips)).toBeLessThanOrEqual(cap);
    // The cap was what ended pages: some came back short with a link to go on.
    expect(sizes.slice(0, -1).some((size) => size < 3)).toBe(true);
  });

  it('resumes each shard where its continuation left it: a whole read newest first, no duplicates or gaps', async () => {
    const { ids, roundTrips } = await allPages({}, 7, () => true);
    expect(ids).toEqual(newestFirst(events));
    expect(Math.max(...roundTrips)).toBeLessThanOrEqual(cap);
  });
});

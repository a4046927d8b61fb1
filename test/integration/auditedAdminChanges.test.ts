import { DateTime } from 'luxon';
import { AUDIT_SETTLE_MINUTES } from '../../shared/operations/audit/auditedChange';
import { createAccessPackage, deleteAccessPackage, updateAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { requestResource, resourceIdFor } from '../../shared/operations/entitlements/catalogResources';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { addIncompatible } from '../../shared/operations/entitlements/incompatibilities';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN } from '../support/packageWorld';
import { PROCESS_STOPPED, stopAtWrite, type Row } from '../support/stopAtWrite';

/**
 * "No change may exist without its event" for the administrative writes, whose tables cannot hold the event in the
 * change's own transaction: the event is written ahead, and a process stopped between the change and the event's
 * append leaves it for the expiration sweep, which appends it once the change shows (and drops it when it does not).
 * In-process on Azurite and the Graph emulator; the stop is injected at one precise Table Storage write.
 */
let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps } = world = started));
afterEach(() => jest.restoreAllMocks());

const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const eventRow = (action: string) => (row: Row) => row.action === action;
const sweep = () => sweepExpirations(deps, { holder: 'test', budgetMs: 60_000 });

async function eventsOf(entityId: string): Promise<string[]> {
  const events = [];
  for await (const event of deps.audit.between(world.now().minus({ days: 1 }), world.now().plus({ days: 1 }))) events.push(event);
  return events.filter((e) => e.entityId === entityId).map((e) => e.action);
}

async function catalog(): Promise<string> {
  return (await createCatalog(deps, ADMIN, { displayName: `Audited ${DateTime.utc().toMillis()}`, state: 'published' })).id;
}

describe('administrative changes and their audit events, across a stopped process', () => {
  it('a package created just before the process stopped gets its event from the sweep, once, after the settle time', async () => {
    const catalogId = await catalog();
    stopAtWrite('auditEvents', eventRow('createAccessPackage'), 'before');
    await expect(createAccessPackage(deps, ADMIN, { displayName: 'Stopped after its write', catalog: { id: catalogId } })).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    const [made] = (await deps.store.accessPackages.list({ partitionId: catalogId })).map((d) => d.value);
    expect(made?.displayName).toBe('Stopped after its write');
    expect(await eventsOf(made!.id)).toEqual([]);

    await sweep();
    expect(await eventsOf(made!.id)).toEqual([]);
    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
    await sweep();

    expect(await eventsOf(made!.id)).toEqual(['createAccessPackage']);
  });

  it('a package deleted just before the process stopped gets its deletion event from the sweep', async () => {
    const catalogId = await catalog();
    const made = await createAccessPackage(deps, ADMIN, { displayName: 'Deleted, then stopped', catalog: { id: catalogId } });
    stopAtWrite('auditEvents', eventRow('deleteAccessPackage'), 'before');
    await expect(deleteAccessPackage(deps, ADMIN, made.id)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect(await deps.store.accessPackages.find(made.id)).toBeUndefined();
    expect(await eventsOf(made.id)).toEqual(['createAccessPackage']);

    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    await sweep();

    expect(await eventsOf(made.id)).toEqual(['createAccessPackage', 'deleteAccessPackage']);
  });

  it('a change the process never made leaves no event: the sweep drops what was written ahead', async () => {
    const catalogId = await catalog();
    stopAtWrite('accessPackages', (row) => String(row.part0 ?? '').includes('Never written'), 'before');
    await expect(createAccessPackage(deps, ADMIN, { displayName: 'Never written', catalog: { id: catalogId } })).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect(await deps.store.accessPackages.list({ partitionId: catalogId })).toEqual([]);

    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    const result = await sweep();

    expect(result).toMatchObject({ failed: 0 });
    expect(result!.stale).toBeGreaterThanOrEqual(1);
    const created = [];
    for await (const event of deps.audit.between(world.now().minus({ days: 1 }), world.now().plus({ days: 1 }))) if (event.action === 'createAccessPackage' && event.catalogId === catalogId) created.push(event);
    expect(created).toEqual([]);
  });

  /** The events of a package's updates, by the name each gave it. */
  async function updatesOf(packageId: string): Promise<unknown[]> {
    const names = [];
    for await (const event of deps.audit.between(world.now().minus({ days: 1 }), world.now().plus({ days: 1 }))) {
      if (event.entityId === packageId && event.action === 'updateAccessPackage') names.push((event.after as { displayName: string }).displayName);
    }
    return names;
  }

  it("a change stopped before its write, then another writer's change of the same document: the sweep drops the stopped one's event (the document carries the other's mark, not its own)", async () => {
    const catalogId = await catalog();
    const made = await createAccessPackage(deps, ADMIN, { displayName: 'Marked', catalog: { id: catalogId } });
    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    stopAtWrite('accessPackages', (row) => String(row.part0 ?? '').includes('Never made'), 'before');
    await expect(updateAccessPackage(deps, ADMIN, made.id, { displayName: 'Never made' })).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    await updateAccessPackage(deps, ADMIN, made.id, { displayName: 'Made by another writer' });

    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    const result = await sweep();

    expect(await updatesOf(made.id)).toEqual(['Made by another writer']);
    expect(result).toMatchObject({ processed: 0, failed: 0 });
    expect(result!.stale).toBeGreaterThanOrEqual(1);
    expect((await deps.store.accessPackages.find(made.id))?.value.displayName).toBe('Made by another writer');
  });

  it("a change made just before the process stopped, then another writer's change on top of it: the sweep still appends the stopped one's event (its mark is carried forward)", async () => {
    const catalogId = await catalog();
    const made = await createAccessPackage(deps, ADMIN, { displayName: 'Marked twice', catalog: { id: catalogId } });
    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    stopAtWrite('auditEvents', (row) => row.action === 'updateAccessPackage' && String(row.part0 ?? '').includes('Made, then stopped'), 'before');
    await expect(updateAccessPackage(deps, ADMIN, made.id, { displayName: 'Made, then stopped' })).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    await updateAccessPackage(deps, ADMIN, made.id, { displayName: 'Made on top of it' });

    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });

    expect(((await updatesOf(made.id)) as string[]).sort()).toEqual(['Made on top of it', 'Made, then stopped']);
  });

  it('a change that fails takes its write-ahead event back, and one that finds nothing to do records none', async () => {
    const catalogId = await catalog();
    const a = await createAccessPackage(deps, ADMIN, { displayName: 'A', catalog: { id: catalogId } });
    const b = await createAccessPackage(deps, ADMIN, { displayName: 'B', catalog: { id: catalogId } });
    await addIncompatible(deps, ADMIN, a.id, 'accessPackage', b.id);
    await addIncompatible(deps, ADMIN, a.id, 'accessPackage', b.id);
    await expect(deleteAccessPackage(deps, ADMIN, 'no-such-package')).rejects.toThrow();

    expect(await eventsOf(a.id)).toEqual(['createAccessPackage', 'addIncompatible.accessPackage']);
    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    expect(await sweep()).toMatchObject({ processed: 0, failed: 0 });
  });

  it('a change that fails after its first write keeps its event: what shows decides, not the error', async () => {
    const catalogId = await catalog();
    jest.spyOn(deps.store.resourceRequests, 'insert').mockRejectedValueOnce(new Error('transient storage error'));
    const body = { requestType: 'adminAdd', catalog: { id: catalogId }, resource: { originId: MARKETING, originSystem: 'AadGroup' } };
    await expect(requestResource(deps, ADMIN, body)).rejects.toThrow('transient storage error');
    const resourceId = resourceIdFor(catalogId, 'AadGroup', MARKETING);

    expect(await eventsOf(resourceId)).toEqual(['resourceRequest.adminAdd']);
    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    expect(await sweep()).toMatchObject({ processed: 0, failed: 0 });
    expect(await eventsOf(resourceId)).toEqual(['resourceRequest.adminAdd']);
  });

  it('every event carries who made it, the catalog it is in, and one correlation id per call', async () => {
    const catalogId = await catalog();
    const made = await createAccessPackage(deps, ADMIN, { displayName: 'Attributed', catalog: { id: catalogId } });
    const events = [];
    for await (const event of deps.audit.between(world.now().minus({ days: 1 }), world.now().plus({ days: 1 }))) if (event.entityId === made.id) events.push(event);
    expect(events).toEqual([expect.objectContaining({ initiator: { kind: 'user', id: ADMIN.objectId }, catalogId, result: 'success', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) })]);
  });
});

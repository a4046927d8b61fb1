import { DateTime } from 'luxon';
import { DomainError } from '../../shared/domain/errors';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { undoUnlessParentRemains, type Parent } from '../../shared/operations/entitlements/parentCheck';

const NOW = DateTime.fromISO('2030-01-01T00:00:00Z', { zone: 'utc' });
const CATALOG: Parent = { kind: 'catalog', id: 'c1' };

/** Deps whose only part in use is the store of deletion marks, holding one mark placed `since` (or none). */
function depsWithMark(since?: DateTime): EntitlementDeps {
  const mark = since && { partitionKey: 'catalog', rowKey: 'c1', etag: 'e', value: { kind: 'catalog', id: 'c1', since: since.toISO() } };
  return { clock: { now: () => NOW }, store: { retiring: { get: async () => mark } } } as unknown as EntitlementDeps;
}

describe('a child written while its parent is deleted', () => {
  it('is undone, and the caller hears the parent is gone', async () => {
    const undo = jest.fn(async () => undefined);
    const parentGone = async () => Promise.reject(new DomainError('notFound', 'Catalog x was not found.'));
    await expect(undoUnlessParentRemains(depsWithMark(), CATALOG, parentGone, undo)).rejects.toMatchObject({ code: 'notFound' });
    expect(undo).toHaveBeenCalledTimes(1);
  });

  it('is undone when the parent is still there but being deleted (its mark placed), with a 409', async () => {
    const undo = jest.fn(async () => undefined);
    await expect(undoUnlessParentRemains(depsWithMark(NOW.minus({ seconds: 1 })), CATALOG, async () => ({}), undo)).rejects.toMatchObject({
      code: 'conflict',
      message: "Catalog 'c1' is being deleted; nothing new can be made under it.",
    });
    expect(undo).toHaveBeenCalledTimes(1);
  });

  it('stays when the parent is still there, and a mark left by a delete that stopped long ago holds nothing back', async () => {
    const undo = jest.fn(async () => undefined);
    await undoUnlessParentRemains(depsWithMark(), CATALOG, async () => ({}), undo);
    await undoUnlessParentRemains(depsWithMark(NOW.minus({ minutes: 11 })), CATALOG, async () => ({}), undo);
    expect(undo).not.toHaveBeenCalled();
  });

  it('stays when the check fails for another reason, which is passed on', async () => {
    const undo = jest.fn(async () => undefined);
    const unavailable = async () => Promise.reject(new DomainError('dependencyUnavailable', 'Storage is unavailable.'));
    await expect(undoUnlessParentRemains(depsWithMark(), CATALOG, unavailable, undo)).rejects.toMatchObject({ code: 'dependencyUnavailable' });
    expect(undo).not.toHaveBeenCalled();
  });
});

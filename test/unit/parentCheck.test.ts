import { DomainError } from '../../shared/domain/errors';
import { undoUnlessParentRemains } from '../../shared/operations/entitlements/parentCheck';

describe('a child written while its parent is deleted', () => {
  it('is undone, and the caller hears the parent is gone', async () => {
    const undo = jest.fn(async () => undefined);
    const parentGone = async () => Promise.reject(new DomainError('notFound', 'Catalog x was not found.'));
    await expect(undoUnlessParentRemains(parentGone, undo)).rejects.toMatchObject({ code: 'notFound' });
    expect(undo).toHaveBeenCalledTimes(1);
  });

  it('stays when the parent is still there', async () => {
    const undo = jest.fn(async () => undefined);
    await undoUnlessParentRemains(async () => ({}), undo);
    expect(undo).not.toHaveBeenCalled();
  });

  it('stays when the check fails for another reason, which is passed on', async () => {
    const undo = jest.fn(async () => undefined);
    const unavailable = async () => Promise.reject(new DomainError('dependencyUnavailable', 'Storage is unavailable.'));
    await expect(undoUnlessParentRemains(unavailable, undo)).rejects.toMatchObject({ code: 'dependencyUnavailable' });
    expect(undo).not.toHaveBeenCalled();
  });
});

import { isDomainError } from '../../domain/errors';

/**
 * Creating a child (a package in a catalog, a policy for a package) checks its parent, then writes; the parent may
 * be deleted in between. Checking again after the write and undoing it then means no child outlives its parent.
 */
export async function undoUnlessParentRemains(findParent: () => Promise<unknown>, undo: () => Promise<void>): Promise<void> {
  try {
    await findParent();
  } catch (error) {
    if (isDomainError(error) && error.code === 'notFound') await undo();
    throw error;
  }
}

import { DateTime } from 'luxon';
import { DomainError, isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { RetiringMark } from '../../store/entitlementStore';
import { tableKey } from '../../store/tableKeys';
import type { EntitlementDeps } from './entitlementDeps';

/**
 * Something children hang from: a catalog (packages, role assignments), a package (policies, role scopes), a policy
 * (requests), a connected organization (the policies that name it).
 */
export interface Parent {
  kind: 'catalog' | 'accessPackage' | 'assignmentPolicy' | 'connectedOrganization';
  id: string;
}

/**
 * A mark older than this was left by a delete that stopped (an Azure Functions invocation ends within 10 minutes);
 * it no longer holds anything back.
 */
const ABANDONED_AFTER = { minutes: 10 };

const NAMES: Record<Parent['kind'], string> = {
  catalog: 'Catalog',
  accessPackage: 'Access package',
  assignmentPolicy: 'Assignment policy',
  connectedOrganization: 'Connected organization',
};

/**
 * Deletes a parent under a mark: the delete writes the mark, then checks for children and deletes; a child's
 * writer writes the child, then checks the parent and the mark (undoUnlessParentRemains). Each side writes before
 * it reads, so whichever order they run in, one of them sees the other: either the delete finds the child and is
 * refused, or the child's writer finds the mark (or no parent) and undoes the child. The mark goes when `work`
 * ends, done or refused. Crash window: a delete that stops leaves its mark, which is ignored once abandoned.
 */
export async function retiring<T>(deps: EntitlementDeps, parent: Parent, work: () => Promise<T>): Promise<T> {
  const mark = await placeMark(deps, parent);
  try {
    return await work();
  } finally {
    await deps.store.retiring.delete(mark).catch((error: unknown) => {
      if (!(isDomainError(error) && error.code === 'notFound')) throw error;
    });
  }
}

/** Whether a delete of the parent is under way, so nothing new may be made under it. */
export async function isRetiring(deps: EntitlementDeps, parent: Parent): Promise<boolean> {
  const mark = await deps.store.retiring.get(tableKey(parent.kind), tableKey(parent.id));
  return mark !== undefined && !isAbandoned(deps, mark.value);
}

/** The parents of a kind whose delete is under way (isRetiring for all, in one read of the kind's marks), lower-cased. */
export async function retiringIds(deps: EntitlementDeps, kind: Parent['kind']): Promise<Set<string>> {
  const marks = await deps.store.retiring.list({ partitionKey: tableKey(kind) });
  return new Set(marks.filter((mark) => !isAbandoned(deps, mark.value)).map((mark) => mark.value.id.toLowerCase()));
}

/**
 * Creating a child checks its parent, then writes; the parent may be deleted in between. Checking again after the
 * write, parent and mark, and undoing the child if the parent is gone or going, means no child outlives its parent.
 */
export async function undoUnlessParentRemains(deps: EntitlementDeps, parent: Parent, findParent: () => Promise<unknown>, undo: () => Promise<void>): Promise<void> {
  try {
    await findParent();
    if (await isRetiring(deps, parent)) throw beingDeleted(parent);
  } catch (error) {
    if (isDomainError(error) && (error.code === 'notFound' || error.code === 'conflict')) await undo();
    throw error;
  }
}

export function beingDeleted(parent: Parent): DomainError {
  return new DomainError('conflict', `${NAMES[parent.kind]} '${parent.id}' is being deleted; nothing new can be made under it.`);
}

async function placeMark(deps: EntitlementDeps, parent: Parent): Promise<StoredDocument<RetiringMark>> {
  const mark: RetiringMark = { ...parent, since: deps.clock.now().toUTC().toISO()! };
  try {
    return await deps.store.retiring.insert(tableKey(parent.kind), tableKey(parent.id), mark);
  } catch (error) {
    if (!(isDomainError(error) && error.code === 'alreadyExists')) throw error;
    const held = await deps.store.retiring.get(tableKey(parent.kind), tableKey(parent.id));
    if (held && !isAbandoned(deps, held.value)) throw new DomainError('conflict', `${NAMES[parent.kind]} '${parent.id}' is already being deleted.`);
    // An abandoned mark is taken over on its ETag: of two deletes taking it at once, one wins.
    if (!held) return placeMark(deps, parent);
    return deps.store.retiring.replace(held, mark);
  }
}

function isAbandoned(deps: EntitlementDeps, mark: RetiringMark): boolean {
  return DateTime.fromISO(mark.since).plus(ABANDONED_AFTER) < deps.clock.now();
}

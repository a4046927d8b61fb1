import { mapConcurrently } from '../../concurrently';
import type { CallerAccess } from '../../auth/callerAccess';
import { permitsReview } from '../../auth/decision';
import { DomainError } from '../../domain/errors';
import type { ReviewDecision, ReviewInstance } from '../../domain/reviews/accessReview';
import type { StoredDocument } from '../../store/documentTable';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { ReviewerPointer } from '../../store/reviewStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** A reviewed policy as its review definition shows it, with the names and catalog its views need. */
export interface ReviewDefinition {
  policy: StoredPolicy;
  accessPackageDisplayName: string | null;
  catalogId: string | undefined;
}

/** A definition is the review of one policy whose reviews are enabled; it has the policy's id. */
export async function findDefinition(deps: EntitlementDeps, definitionId: string): Promise<ReviewDefinition> {
  const policy = await deps.store.policies.find(definitionId);
  if (!policy?.value.reviewSettings?.isEnabled) throw new DomainError('notFound', `Access review definition '${definitionId}' was not found.`);
  return definitionOf(deps, policy.value);
}

async function definitionOf(deps: EntitlementDeps, policy: StoredPolicy): Promise<ReviewDefinition> {
  const accessPackage = await deps.store.accessPackages.find(policy.accessPackageId);
  return { policy, accessPackageDisplayName: accessPackage?.value.displayName ?? null, catalogId: accessPackage?.value.catalogId };
}

/** Every definition of the tenant the caller reads (administrators: all; catalog roles: their catalogs'). */
export async function listDefinitions(deps: EntitlementDeps, access: CallerAccess): Promise<ReviewDefinition[]> {
  const reviewed = (await deps.store.policies.list()).map((d) => d.value).filter((p) => p.reviewSettings?.isEnabled);
  const definitions = await mapConcurrently(reviewed, (policy) => definitionOf(deps, policy));
  const visibility = await access.visibility();
  return visibility.everything ? definitions : definitions.filter((d) => d.catalogId !== undefined && visibility.catalogIds.has(d.catalogId.toLowerCase()));
}

/** The definitions with an item the caller reviews: their reviewer partition, not the tenant. */
export async function definitionsOfReviewer(deps: EntitlementDeps, reviewerId: string): Promise<ReviewDefinition[]> {
  const ids = [...new Set((await deps.reviews.pointersOf(reviewerId)).map((p) => p.definitionId))];
  const found = await mapConcurrently(ids, (id) => findDefinition(deps, id).catch(() => undefined));
  return found.filter((d): d is ReviewDefinition => d !== undefined);
}

/** One definition: for who reads its catalog, and for its reviewers. */
export async function readDefinition(deps: EntitlementDeps, access: CallerAccess, definitionId: string): Promise<ReviewDefinition> {
  const definition = await findDefinition(deps, definitionId);
  if (!(await readsCatalog(access, definition.catalogId))) {
    const reviews = (await pointersIn(deps, access.caller.objectId, (p) => p.definitionId === definitionId)).length > 0;
    requireReview('read', { readsCatalog: false, reviews, isApplication: access.caller.isApplication });
  }
  return definition;
}

/** An instance that has opened (one still `Initializing` is nobody's yet). */
export async function findInstance(deps: EntitlementDeps, definitionId: string, instanceId: string): Promise<StoredDocument<ReviewInstance>> {
  const stored = await deps.reviews.instance(definitionId, instanceId);
  if (!stored || stored.value.status === 'Initializing') throw new DomainError('notFound', `Access review instance '${instanceId}' was not found.`);
  return stored;
}

const readsCatalog = (access: CallerAccess, catalogId: string | undefined) => access.allows('read', catalogId);

async function pointersIn(deps: EntitlementDeps, reviewerId: string, where: (p: ReviewerPointer) => boolean): Promise<ReviewerPointer[]> {
  return (await deps.reviews.pointersOf(reviewerId)).filter(where);
}

/** A definition's instances: all for who reads its catalog, those they review for a reviewer, 403 for anyone else. */
export async function listInstances(deps: EntitlementDeps, access: CallerAccess, definitionId: string): Promise<ReviewInstance[]> {
  const definition = await findDefinition(deps, definitionId);
  const opened = (await deps.reviews.instancesOf(definitionId)).map((d) => d.value).filter((i) => i.status !== 'Initializing');
  if (await readsCatalog(access, definition.catalogId)) return opened;
  const mine = new Set((await pointersIn(deps, access.caller.objectId, (p) => p.definitionId === definitionId)).map((p) => p.instanceId));
  requireReview('read', { readsCatalog: false, reviews: mine.size > 0, isApplication: access.caller.isApplication });
  return opened.filter((i) => mine.has(i.id));
}

/** filterByCurrentUser(on='reviewer') on a definition's instances. */
export async function instancesOfReviewer(deps: EntitlementDeps, reviewerId: string, definitionId: string): Promise<ReviewInstance[]> {
  await findDefinition(deps, definitionId);
  const ids = [...new Set((await pointersIn(deps, reviewerId, (p) => p.definitionId === definitionId)).map((p) => p.instanceId))];
  const found = await mapConcurrently(ids, (id) => deps.reviews.instance(definitionId, id));
  return found.flatMap((d) => (d && d.value.status !== 'Initializing' ? [d.value] : []));
}

export async function readInstance(deps: EntitlementDeps, access: CallerAccess, definitionId: string, instanceId: string): Promise<ReviewInstance> {
  const stored = await findInstance(deps, definitionId, instanceId);
  if (!(await readsCatalog(access, stored.value.catalogId))) {
    const reviews = (await pointersIn(deps, access.caller.objectId, (p) => p.instanceId === instanceId)).length > 0;
    requireReview('read', { readsCatalog: false, reviews, isApplication: access.caller.isApplication });
  }
  return stored.value;
}

/** An instance's items: all for who reads its catalog, their own for a reviewer, 403 for anyone else. */
export async function listDecisions(deps: EntitlementDeps, access: CallerAccess, definitionId: string, instanceId: string): Promise<ReviewDecision[]> {
  const stored = await findInstance(deps, definitionId, instanceId);
  if (await readsCatalog(access, stored.value.catalogId)) return (await deps.reviews.decisionsOf(instanceId)).map((d) => d.value);
  const mine = await decisionsOfReviewer(deps, access.caller.objectId, { definitionId, instanceId });
  requireReview('read', { readsCatalog: false, reviews: mine.length > 0, isApplication: access.caller.isApplication });
  return mine;
}

/**
 * filterByCurrentUser(on='reviewer') on decisions: the items the reviewer may decide, in one instance or (beta)
 * across all, read through their reviewer partition. Items of instances still opening are left out.
 */
export async function decisionsOfReviewer(deps: EntitlementDeps, reviewerId: string, within?: { definitionId: string; instanceId: string }): Promise<ReviewDecision[]> {
  if (within) await findInstance(deps, within.definitionId, within.instanceId);
  const pointers = await pointersIn(deps, reviewerId, (p) => !within || p.instanceId === within.instanceId);
  const found = await mapConcurrently(pointers, (p) => deps.reviews.decision(p.instanceId, p.decisionId));
  return found.flatMap((d) => (d && d.value.reviewerIds.includes(reviewerId) ? [d.value] : []));
}

export async function readDecision(deps: EntitlementDeps, access: CallerAccess, definitionId: string, instanceId: string, decisionId: string): Promise<ReviewDecision> {
  const instance = await findInstance(deps, definitionId, instanceId);
  const item = await findDecision(deps, instanceId, decisionId);
  if (!(await readsCatalog(access, instance.value.catalogId))) {
    requireReview('read', { readsCatalog: false, reviews: item.value.reviewerIds.includes(access.caller.objectId), isApplication: access.caller.isApplication });
  }
  return item.value;
}

export async function findDecision(deps: EntitlementDeps, instanceId: string, decisionId: string): Promise<StoredDocument<ReviewDecision>> {
  const item = await deps.reviews.decision(instanceId, decisionId);
  if (!item) throw new DomainError('notFound', `Access review decision '${decisionId}' was not found.`);
  return item;
}

/** The one authorization decision for reviews (decision.ts), as a 403 when it refuses. */
export function requireReview(what: 'read' | 'decide', standing: Parameters<typeof permitsReview>[1]): void {
  if (!permitsReview(what, standing)) {
    throw new DomainError('forbidden', what === 'read' ? 'You may not read this access review.' : 'Only a reviewer of this item may decide it.');
  }
}

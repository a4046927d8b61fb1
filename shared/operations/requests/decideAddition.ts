import { isDeepStrictEqual } from 'node:util';
import type { Caller } from '../../auth/caller';
import type { DirectoryUser } from '../../directory/directoryPort';
import type { Catalog } from '../../domain/entitlements';
import type { StoredDocument } from '../../store/documentTable';
import { DomainError, isDomainError } from '../../domain/errors';
import type { AssignmentRequest, RequestInput } from '../../domain/requests/assignmentRequest';
import { assignmentSchedule, checkAnswers, checkJustification, isScheduledStart } from '../../domain/requests/requestRequirements';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';
import type { PackageSnapshot, StoredPolicy } from '../../store/entitlementStore';
import { accessPackageNotFound } from '../entitlements/accessPackages';
import { findCatalog } from '../entitlements/catalogs';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { packageConfigurationOf, rememberedPackageConfiguration } from '../entitlements/packageConfiguration';
import { guestToBe } from '../externalUsers/guestToBe';
import { findSubjectByEmail, newSubject } from '../externalUsers/subjects';
import { choosePolicy } from './choosePolicy';
import { checkSeparationOfDuties } from './separationOfDuties';

/** What a package's configuration (with the caller, the target and the directory) decides of a new addition. */
export interface AdditionDecision {
  configuration: PackageSnapshot;
  policy: StoredPolicy;
  target: DirectoryUser;
  /** Someone named by address, or an external caller, not in the directory: the subject the request is filed under. */
  named?: { subject: AccessPackageSubject; stored: boolean } | undefined;
  answers: AssignmentRequest['answers'];
  schedule: AssignmentRequest['schedule'];
  needsApproval: boolean;
  /** Carried out at once: no approval, no later start, a user already in the directory (carryOutAtOnce.ts). */
  atOnce: boolean;
  /** Decided from the configuration this instance remembers, not from one read for this request. */
  recalled?: true;
}

/**
 * The decision on an addition: from the configuration this instance remembers (rememberedConfigurations.ts) when
 * that carries the request out at once, for then the configuration read after its write confirms the decision, or
 * has it made again (carryOutAtOnce.ts): a decision is thus always checked against a configuration read after the
 * write, at least as fresh as the one read before it without the memory. Any other outcome from the memory (an
 * approval, a later start, a refusal, a failure) is decided again from the configuration read now, as every
 * decision was before the memory, since nothing after the write would check it. One named by address, or an
 * external caller's own, may become a subject's (a write, and never carried out at once): decided from a read.
 */
export async function decisionOf(deps: EntitlementDeps, caller: Caller, input: RequestInput, targetSubject: AccessPackageSubject | undefined, recall: boolean): Promise<AdditionDecision> {
  const packageId = input.assignment.accessPackageId!;
  const remembered = recall && !targetSubject && !input.assignment.target ? rememberedPackageConfiguration(deps, packageId) : undefined;
  // The catalog and the target read for a decision from memory serve the one made again from a read: read once.
  const reads = readsOnce(deps);
  if (remembered && mayBeAtOnce(deps, input, remembered)) {
    const decided = await atOnceFrom(deps, caller, input, remembered, reads).catch(() => undefined);
    if (decided) return decided;
  }
  const configuration = await namedInBody(async () => {
    const found = await packageConfigurationOf(deps, packageId);
    if (!found) throw accessPackageNotFound(packageId);
    return found;
  }, 'assignment.accessPackageId');
  return decide(deps, caller, input, configuration, targetSubject, reads);
}

/** What a decision reads besides the configuration, each at most once for one submit (decisionOf). */
interface DecisionReads {
  catalog(id: string): Promise<StoredDocument<Catalog>>;
  user(id: string): Promise<DirectoryUser | undefined>;
}

function readsOnce(deps: EntitlementDeps): DecisionReads {
  const catalogs = new Map<string, Promise<StoredDocument<Catalog>>>();
  const users = new Map<string, Promise<DirectoryUser | undefined>>();
  const once = <T>(made: Map<string, Promise<T>>, id: string, read: () => Promise<T>) => {
    const key = id.toLowerCase();
    // A read that failed is made again by whoever asks next, as without this.
    if (!made.has(key)) made.set(key, read().catch((error: unknown) => (made.delete(key), Promise.reject(error))));
    return made.get(key)!;
  };
  return {
    catalog: (id) => once(catalogs, id, () => findCatalog(deps, id)),
    user: (id) => once(users, id, () => deps.directory.getUser(id)),
  };
}

/** Reads made afresh each time (a decision made alone). */
const readsAfresh = (deps: EntitlementDeps): DecisionReads => ({ catalog: (id) => findCatalog(deps, id), user: (id) => deps.directory.getUser(id) });

/**
 * Whether the configuration read after the write of an addition decided from a remembered one (`now`; none when a
 * change is under way: then read from the tables) decides it alike: carried out at once still, for the same target,
 * in the same catalog, through the same policy as it stands now (so the same answers, schedule and end, and no
 * approval), giving the same roles; the caller still authorized, the separation of duties still kept. The same code
 * decides it again; a refusal or a failure is no decision alike (the write is then undone, carryOutAtOnce.ts).
 */
export async function decidedAlike(deps: EntitlementDeps, caller: Caller, input: RequestInput, first: AdditionDecision, now: PackageSnapshot | undefined): Promise<boolean> {
  try {
    const configuration = now ?? (await packageConfigurationOf(deps, input.assignment.accessPackageId!));
    if (!configuration) return false;
    const again = await decide(deps, caller, input, configuration);
    return (
      again.atOnce &&
      again.target.id === first.target.id &&
      configuration.accessPackage.catalogId === first.configuration.accessPackage.catalogId &&
      isDeepStrictEqual(again.policy, first.policy) &&
      isDeepStrictEqual(again.answers, first.answers) &&
      isDeepStrictEqual(configuration.roleScopes, first.configuration.roleScopes)
    );
  } catch {
    return false;
  }
}

/**
 * Whether the request alone leaves it possible that `configuration` carries it out at once (before any read): no
 * later start asked, and, for a user's request, a policy it may come under that needs no approval.
 */
function mayBeAtOnce(deps: EntitlementDeps, input: RequestInput, configuration: PackageSnapshot): boolean {
  const start = input.schedule?.startDateTime ?? null;
  if (isScheduledStart({ startDateTime: start, expiration: null }, deps.clock.now())) return false;
  if (input.requestType === 'adminAdd') return true;
  const named = input.assignment.assignmentPolicyId?.toLowerCase();
  return configuration.policies.some((p) => (named === undefined || p.id.toLowerCase() === named) && !p.requestApprovalSettings.isApprovalRequiredForAdd);
}

/**
 * The decision from the configuration remembered, when it carries the request out at once; undefined as soon as it
 * is known not to (after the policy and schedule are chosen, before the separation of duties' reads), since the
 * request is then decided again from the configuration read now: only the reads up to there are made twice.
 */
async function atOnceFrom(deps: EntitlementDeps, caller: Caller, input: RequestInput, remembered: PackageSnapshot, reads: DecisionReads): Promise<AdditionDecision | undefined> {
  const terms = await termsOf(deps, caller, input, remembered, undefined, reads);
  if (!terms.atOnce) return undefined;
  await checkSeparationOfDuties(deps, terms.target.id, input.assignment.accessPackageId!, remembered);
  return { ...terms, recalled: true };
}

/** Decides an addition from the package's `configuration`; reads what else it needs, writes nothing. */
async function decide(
  deps: EntitlementDeps,
  caller: Caller,
  input: RequestInput,
  configuration: PackageSnapshot,
  targetSubject?: AccessPackageSubject,
  reads: DecisionReads = readsAfresh(deps),
): Promise<AdditionDecision> {
  const terms = await termsOf(deps, caller, input, configuration, targetSubject, reads);
  await checkSeparationOfDuties(deps, terms.target.id, input.assignment.accessPackageId!, configuration);
  return terms;
}

/** The decision but for the separation of duties: who, under which policy, with what answers and schedule. */
async function termsOf(
  deps: EntitlementDeps,
  caller: Caller,
  input: RequestInput,
  configuration: PackageSnapshot,
  targetSubject: AccessPackageSubject | undefined,
  reads: DecisionReads,
): Promise<AdditionDecision> {
  const packageId = input.assignment.accessPackageId!;
  const catalogId = configuration.accessPackage.catalogId;
  const byAdministrator = input.requestType === 'adminAdd';
  if (byAdministrator) await deps.accessOf(caller).require('manageAssignments', catalogId);
  // Only a user's request needs the catalog itself (is it published?); an administrator's needs its id alone.
  if (!byAdministrator && (await reads.catalog(catalogId)).value.state !== 'published') {
    // To anyone who cannot read its catalog, a package nobody may request yet is as missing as one that does not exist.
    if (!(await deps.accessOf(caller).allows('read', catalogId))) await namedInBody(() => Promise.reject(accessPackageNotFound(packageId)), 'assignment.accessPackageId');
    throw new DomainError('forbidden', `Access package '${packageId}' cannot be requested: its catalog is not published.`);
  }
  const { target, subject: named } = await targetOf(deps, caller, input, targetSubject, reads);
  // A userAdd for someone else: a manager (or another on-behalf requestor) asking for them (Graph's Example 9).
  const onBehalfBy = !byAdministrator && target.id.toLowerCase() !== caller.objectId.toLowerCase() && !named ? caller.objectId : undefined;

  const policy = await choosePolicy(deps, { packageId, policyId: input.assignment.assignmentPolicyId, target, subject: named?.subject, requestType: input.requestType, onBehalfBy, policies: configuration.policies });
  checkJustification(policy, input.requestType, input.justification);
  const answers = checkAnswers(policy, input.answers);
  const schedule = assignmentSchedule(policy, input.schedule, deps.clock.now(), { byAdministrator });
  // Administrators assign directly; approval applies to what users ask for themselves (Entra does the same).
  const needsApproval = !byAdministrator && policy.requestApprovalSettings.isApprovalRequiredForAdd;
  const atOnce = !needsApproval && !named && !isScheduledStart(schedule, deps.clock.now());
  return { configuration, policy, target, named, answers, schedule, needsApproval, atOnce };
}

/**
 * Who an addition is for: the caller's own user (userAdd), the user an administrator names (targetId), or someone
 * named by address or an external caller, who may not be in the directory yet. A user the address belongs to
 * already is assigned as any user is; anyone else is the subject Portcullis keeps for them, and the request is
 * filed under the subject's id until it is carried out and they are invited.
 */
async function targetOf(
  deps: EntitlementDeps,
  caller: Caller,
  input: RequestInput,
  targetSubject: AccessPackageSubject | undefined,
  reads: DecisionReads,
): Promise<{ target: DirectoryUser; subject?: { subject: AccessPackageSubject; stored: boolean } }> {
  const byAddress = input.assignment.target;
  if (targetSubject || byAddress) {
    const found = targetSubject ?? (await findSubjectByEmail(deps, byAddress!.email));
    const subject = found ?? newSubject(deps, { email: byAddress!.email, displayName: byAddress!.displayName });
    const user = subject.objectId ? await deps.directory.getUser(subject.objectId) : byAddress ? await deps.directory.findUserByEmail(byAddress.email) : undefined;
    if (user) return { target: user, ...(targetSubject ? { subject: { subject, stored: true } } : {}) };
    return { target: guestToBe(subject), subject: { subject, stored: found !== undefined } };
  }
  // A userAdd naming someone else is a request on their behalf, which the policy decides (choosePolicy).
  const targetId = input.assignment.targetId ?? caller.objectId;
  if (input.requestType !== 'adminAdd' && targetId.toLowerCase() !== caller.objectId.toLowerCase() && caller.external) {
    throw new DomainError('forbidden', 'A caller from another organization requests access for themselves only.');
  }
  const target = await reads.user(targetId);
  if (!target) throw new DomainError('invalidRequest', `Invalid assignment request: assignment.targetId: user '${targetId}' does not exist in the directory.`);
  return { target };
}

/** A missing thing the body names is the body's fault: a 400 naming the field, not a 404 for the URL. */
async function namedInBody<T>(find: () => Promise<T>, field: string): Promise<T> {
  try {
    return await find();
  } catch (error) {
    if (isDomainError(error) && error.code === 'notFound') throw new DomainError('invalidRequest', `Invalid assignment request: ${field}: ${error.message}`);
    throw error;
  }
}

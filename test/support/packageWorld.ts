import type { Caller } from '../../shared/auth/caller';
import type { DirectoryPort } from '../../shared/directory/directoryPort';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { automaticPolicies, type AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import type { ResourceRoleScope } from '../../shared/domain/entitlements';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import type { InProcessOperations } from './inProcessOperations';

/** Helpers for in-process tests of packages, their roles and their assignees (on Azurite and the Graph emulator). */
export const ADMIN: Caller = { objectId: '0ba75e63-2205-4ad7-bd66-c01f47376eb4', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };

export interface TestPackage {
  catalogId: string;
  packageId: string;
  policyId: string;
  roleScope: ResourceRoleScope;
}

/** A package granting one role of a group or application, with an administrator-only policy (by default without expiration). */
export async function packageGranting(
  deps: EntitlementDeps,
  name: string,
  resource: { originId: string; originSystem: 'AadGroup' | 'AadApplication' | 'SharePointOnline' },
  roleOriginId: string,
  expiration: object = { type: 'noExpiration' },
): Promise<TestPackage> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name });
  await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource, catalog: { id: catalog.id } });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: name, catalog: { id: catalog.id } });
  const roleScope = await addResourceRoleScope(deps, ADMIN, accessPackage.id, { role: { originId: roleOriginId, originSystem: resource.originSystem } });
  const policy = await createAssignmentPolicy(deps, ADMIN, {
    displayName: name,
    allowedTargetScope: 'notSpecified',
    expiration,
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: accessPackage.id },
  });
  return { catalogId: catalog.id, packageId: accessPackage.id, policyId: policy.id, roleScope };
}

/** What a self-service policy lets its targets do, for tests of requests. */
export const SELF_SERVICE = { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true, enableTargetsToSelfUpdateAccess: true, allowCustomAssignmentSchedule: true };

/**
 * A package without roles (delivery needs no directory call) in a published catalog of its own, with one policy
 * open to every member for self-service (`policy` overrides its fields).
 */
export async function selfServicePackage(deps: EntitlementDeps, name: string, policy: Record<string, unknown> = {}): Promise<Omit<TestPackage, 'roleScope'>> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name, state: 'published' });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: name, catalog: { id: catalog.id } });
  const created = await createAssignmentPolicy(deps, ADMIN, {
    displayName: name,
    allowedTargetScope: 'allMemberUsers',
    requestorSettings: SELF_SERVICE,
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    ...policy,
    accessPackage: { id: accessPackage.id },
  });
  return { catalogId: catalog.id, packageId: accessPackage.id, policyId: created.id };
}

export const groupPackage = (deps: EntitlementDeps, name: string, groupId: string, expiration?: object) =>
  packageGranting(deps, name, { originId: groupId, originSystem: 'AadGroup' }, `Member_${groupId}`, expiration);

/**
 * A package granting membership of `groupId`, with an auto-assignment policy of `rule` that removes leavers after
 * `grace` (none when left out).
 */
export async function autoGroupPackage(deps: EntitlementDeps, name: string, groupId: string, rule: string, grace?: string): Promise<void> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name });
  await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: groupId, originSystem: 'AadGroup' }, catalog: { id: catalog.id } });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: name, catalog: { id: catalog.id } });
  await addResourceRoleScope(deps, ADMIN, accessPackage.id, { role: { originId: `Member_${groupId}`, originSystem: 'AadGroup' } });
  await createAssignmentPolicy(deps, ADMIN, {
    displayName: name,
    allowedTargetScope: 'specificDirectoryUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: rule }],
    automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, ...(grace ? { gracePeriodBeforeAccessRemoval: grace } : {}) },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    accessPackage: { id: accessPackage.id },
  });
}

export async function assign(deps: EntitlementDeps, targetId: string, pkg: Pick<TestPackage, 'packageId' | 'policyId'>): Promise<string> {
  const request = await submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });
  // The answer is the request as submitted; the assignment it made is on the request as stored.
  return (await deps.grants.findRequest(request.id))!.value.assignmentId!;
}

/** An assignment's state as stored; undefined when there is none. */
export const assignmentState = async (deps: EntitlementDeps, targetId: string, assignmentId: string) => (await deps.grants.assignmentOf(targetId, assignmentId))?.value.state;

let sweeps = 0;
/** The timers that carry ends out, in their order: `expirationSweep`, then `reconcileSweep`, each under a holder of its own. */
export async function sweepEnds(deps: EntitlementDeps): Promise<void> {
  const run = ++sweeps;
  await sweepExpirations(deps, { holder: `test-exp-${run}`, budgetMs: 60_000 });
  await reconcile(deps, { holder: `test-rec-${run}`, budgetMs: 60_000 });
}

let autoSweeps = 0;
/**
 * `count` days of the daily timers, the clock moved a day before each: the auto-assignment sweep (the rules through
 * the users delta), then the ends. Answers the users delta's mode of each day ('none' when the sweep did not run).
 */
export async function sweepDays(world: Pick<InProcessOperations, 'deps' | 'advance'>, count: number): Promise<string[]> {
  const modes: string[] = [];
  for (let day = 1; day <= count; day++) {
    world.advance({ days: 1 });
    const result = await sweepAutoAssignments(world.deps, { holder: `test-auto-${++autoSweeps}`, budgetMs: 60_000 });
    modes.push(result?.mode ?? 'none');
    await sweepEnds(world.deps);
  }
  return modes;
}

export async function unassign(deps: EntitlementDeps, assignmentId: string): Promise<string> {
  return (await submitAssignmentRequest(deps, ADMIN, { requestType: 'adminRemove', assignment: { id: assignmentId } })).id;
}

export async function groupMembers(emulator: GraphEmulator, groupId: string): Promise<string[]> {
  const answer = (await (await fetch(`${emulator.url}/v1.0/groups/${groupId}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return answer.value.map((m) => m.id);
}

/** Changes a user in the emulator's directory, as an administrator or HR provisioning would: Graph answers 204. */
export async function patchUser(emulator: GraphEmulator, userId: string, changes: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${emulator.url}/v1.0/users/${userId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(changes) });
  if (response.status !== 204) throw new Error(`PATCH of user ${userId} answered ${response.status}: ${await response.text()}`);
}

/** The SharePoint site roles a user holds on a site. */
export async function siteRoles(emulator: GraphEmulator, siteId: string, userId: string): Promise<string[]> {
  const answer = (await (await fetch(`${emulator.url}/v1.0/sites/${siteId}/permissions`)).json()) as { value: Array<{ roles?: string[]; grantedToV2?: { user?: { id?: string } } }> };
  return answer.value.filter((p) => p.grantedToV2?.user?.id === userId).flatMap((p) => p.roles ?? []);
}

export async function setFaults(emulator: GraphEmulator, rules: object[]): Promise<void> {
  await fetch(`${emulator.url}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });
}

/** Every $batch call (group and app role changes) answered 503, at once. */
export const refuseDirectoryChanges = (emulator: GraphEmulator) => setFaults(emulator, [{ pathPattern: '^/v1.0/\\$batch', status: 503, rate: 1, retryAfterSeconds: 0 }]);

type Method = (...args: never[]) => unknown;
type MethodsOf<T> = { [K in keyof T]: T[K] extends Method ? K : never }[keyof T];
type ArgsOf<T, M extends keyof T> = T[M] extends (...args: infer A) => unknown ? A : never;

/**
 * A real part (the directory, a store) with one method hooked: `before` runs when it is called, before the call
 * goes on (or instead, when `before` throws). It runs for the first call `when` picks; every call is recorded.
 */
export function hooked<T extends object, M extends MethodsOf<T>>(
  part: T,
  method: M,
  before: (...args: ArgsOf<T, M>) => Promise<unknown>,
  when: (...args: ArgsOf<T, M>) => boolean = () => true,
): { part: T; calls: Array<ArgsOf<T, M>> } {
  const calls: Array<ArgsOf<T, M>> = [];
  let armed = true;
  const proxy = new Proxy(part, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(target);
      return async (...args: ArgsOf<T, M>) => {
        calls.push(args);
        if (armed && when(...args)) {
          armed = false;
          await before(...args);
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { part: proxy, calls };
}

/** The directory with one method hooked (see `hooked`). */
export function hookedDirectory<M extends MethodsOf<DirectoryPort>>(
  directory: DirectoryPort,
  method: M,
  before: (...args: ArgsOf<DirectoryPort, M>) => Promise<unknown>,
  when?: (...args: ArgsOf<DirectoryPort, M>) => boolean,
): { directory: DirectoryPort; calls: Array<ArgsOf<DirectoryPort, M>> } {
  const { part, calls } = hooked(directory, method, before, when);
  return { directory: part, calls };
}

/** The rule of automaticPolicyMatchingNobody, unless given another: the demo tenant has no such department. */
const NOBODY_RULE = '(user.department -eq "Nobody here")';

/**
 * An auto-assignment policy (granting the group's membership, if any) whose rule matches nobody (but a user of the
 * department `Nobody here`), so its creation assigns no one: the test names its users. Leavers lose it after
 * `grace` (at once when left out).
 */
export async function automaticPolicyMatchingNobody(deps: EntitlementDeps, name: string, groupId?: string, grace?: string, membershipRule = NOBODY_RULE): Promise<AutomaticPolicy> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name, state: 'published' });
  if (groupId) await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: groupId, originSystem: 'AadGroup' }, catalog: { id: catalog.id } });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: name, catalog: { id: catalog.id } });
  if (groupId) await addResourceRoleScope(deps, ADMIN, accessPackage.id, { role: { originId: `Member_${groupId}`, originSystem: 'AadGroup' } });
  const policy = await createAssignmentPolicy(deps, ADMIN, {
    displayName: name,
    allowedTargetScope: 'specificDirectoryUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule }],
    automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, ...(grace ? { gracePeriodBeforeAccessRemoval: grace } : {}) },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    accessPackage: { id: accessPackage.id },
  });
  return (await automaticPolicies(deps)).find((auto) => auto.policy.id === policy.id)!;
}

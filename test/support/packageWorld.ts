import type { Caller } from '../../shared/auth/caller';
import type { DirectoryPort } from '../../shared/directory/directoryPort';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import type { ResourceRoleScope } from '../../shared/domain/entitlements';
import type { GraphEmulator } from '../../tools/graph-emulator/server';

/** Helpers for in-process tests of packages, their roles and their assignees (on Azurite and the Graph emulator). */
export const ADMIN: Caller = { objectId: '0ba75e63-2205-4ad7-bd66-c01f47376eb4', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };

export interface TestPackage {
  catalogId: string;
  packageId: string;
  policyId: string;
  roleScope: ResourceRoleScope;
}

/** A package granting one role of a group or application, with an administrator-only policy without expiration. */
export async function packageGranting(
  deps: EntitlementDeps,
  name: string,
  resource: { originId: string; originSystem: 'AadGroup' | 'AadApplication' | 'SharePointOnline' },
  roleOriginId: string,
): Promise<TestPackage> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name });
  await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource, catalog: { id: catalog.id } });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: name, catalog: { id: catalog.id } });
  const roleScope = await addResourceRoleScope(deps, ADMIN, accessPackage.id, { role: { originId: roleOriginId, originSystem: resource.originSystem } });
  const policy = await createAssignmentPolicy(deps, ADMIN, {
    displayName: name,
    allowedTargetScope: 'notSpecified',
    expiration: { type: 'noExpiration' },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: accessPackage.id },
  });
  return { catalogId: catalog.id, packageId: accessPackage.id, policyId: policy.id, roleScope };
}

export const groupPackage = (deps: EntitlementDeps, name: string, groupId: string) => packageGranting(deps, name, { originId: groupId, originSystem: 'AadGroup' }, `Member_${groupId}`);

export async function assign(deps: EntitlementDeps, targetId: string, pkg: TestPackage): Promise<string> {
  const request = await submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });
  // The answer is the request as submitted; the assignment it made is on the request as stored.
  return (await deps.grants.findRequest(request.id))!.value.assignmentId!;
}

export async function unassign(deps: EntitlementDeps, assignmentId: string): Promise<string> {
  return (await submitAssignmentRequest(deps, ADMIN, { requestType: 'adminRemove', assignment: { id: assignmentId } })).id;
}

export async function groupMembers(emulator: GraphEmulator, groupId: string): Promise<string[]> {
  const answer = (await (await fetch(`${emulator.url}/v1.0/groups/${groupId}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return answer.value.map((m) => m.id);
}

export async function setFaults(emulator: GraphEmulator, rules: object[]): Promise<void> {
  await fetch(`${emulator.url}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });
}

/** Every $batch call (group and app role changes) answered 503, at once. */
export const refuseDirectoryChanges = (emulator: GraphEmulator) => setFaults(emulator, [{ pathPattern: '^/v1.0/\\$batch', status: 503, rate: 1, retryAfterSeconds: 0 }]);

/**
 * The real directory with one method hooked: `before` runs when it is called, before the call goes on (or instead,
 * when `before` throws). It runs for the calls `when` picks, once unless it says otherwise.
 */
export function hookedDirectory<M extends keyof DirectoryPort>(
  directory: DirectoryPort,
  method: M,
  before: (...args: Parameters<DirectoryPort[M]>) => Promise<void>,
  when: (...args: Parameters<DirectoryPort[M]>) => boolean = () => true,
): { directory: DirectoryPort; calls: Array<Parameters<DirectoryPort[M]>> } {
  const calls: Array<Parameters<DirectoryPort[M]>> = [];
  let armed = true;
  const hooked = new Proxy(directory, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(target);
      return async (...args: Parameters<DirectoryPort[M]>) => {
        calls.push(args);
        if (armed && when(...args)) {
          armed = false;
          await before(...args);
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { directory: hooked, calls };
}

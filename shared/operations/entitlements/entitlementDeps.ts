import type { AdministratorRoles } from '../../auth/administrators';
import type { Caller } from '../../auth/caller';
import type { CallerAccess } from '../../auth/callerAccess';
import type { DirectoryPort } from '../../directory/directoryPort';
import type { Clock } from '../../domain/clock';
import type { AuditLog } from '../../store/auditLog';
import type { EntitlementStore } from '../../store/entitlementStore';
import type { GrantStore } from '../../store/grantStore';
import type { RoleAssignmentStore } from '../../store/roleAssignmentStore';

/** What the entitlement operations need; tests pass real stores on Azurite and the Graph emulator. */
export interface EntitlementDeps {
  store: EntitlementStore;
  /** Requests, approvals and assignments. */
  grants: GrantStore;
  audit: AuditLog;
  directory: DirectoryPort;
  administrators: AdministratorRoles;
  roleAssignments: RoleAssignmentStore;
  /** What a caller may do: one CallerAccess per caller, so a request reads their roles once. */
  accessOf: (caller: Caller) => CallerAccess;
  clock: Clock;
  newId: () => string;
  tenantId: string;
}

/** The caller a change is recorded against. */
export interface Actor {
  objectId: string;
}

export const nowIso = (deps: Pick<EntitlementDeps, 'clock'>) => deps.clock.now().toUTC().toISO({ suppressMilliseconds: false }) ?? '';

import type { OriginSystem } from '../entitlements';
import type { RequestSchedule } from '../requests/assignmentRequest';

export const ASSIGNMENT_STATES = ['delivering', 'partiallyDelivered', 'delivered', 'expired', 'deliveryFailed'] as const;
export type AssignmentState = (typeof ASSIGNMENT_STATES)[number];

/** A resource role in the directory, as delivery needs it: which group, app or site, and which role there. */
export interface DirectoryRole {
  /** The package's resource role scope this came from, `<roleId>_<scopeId>`. */
  roleScopeId: string;
  originSystem: OriginSystem;
  /** The group, service principal or site id. */
  resourceOriginId: string;
  /** `Member_<groupId>`, `Owner_<groupId>`, an app role id, or a site group id. */
  roleOriginId: string;
  displayName: string;
}

export type DeliveryAction = 'add' | 'remove';
export type OperationState = 'pending' | 'done' | 'failed';

/** One directory change an assignment needs, kept with the assignment until it is applied (the outbox). */
export interface DeliveryOperation {
  action: DeliveryAction;
  role: DirectoryRole;
  state: OperationState;
  attempts: number;
  lastError: string | null;
}

export interface Assignment {
  id: string;
  state: AssignmentState;
  status: string;
  accessPackageId: string;
  assignmentPolicyId: string;
  catalogId: string;
  targetId: string;
  schedule: RequestSchedule;
  expiredDateTime: string | null;
  createdDateTime: string;
  /** The request that created the assignment. */
  requestId: string;
  /** Who asked for it: the target, an administrator, or Portcullis itself. */
  createdById: string;
  /** The request that ended it, whose outcome follows its removals. */
  endedByRequestId?: string;
  /**
   * While an auto-assignment policy's grace period runs for its target (they stopped matching its rule): when the
   * removal is due, the time of its due item (graceRemovalItem). The evaluation that finds them matching again takes
   * the item back and this with it, so that a later stop starts a grace period of its own; an item due at another
   * time is an earlier stop's, and stale. Internal: not in Graph's assignment; written and cleared with events of
   * their own (graceRemovalMarks.ts).
   */
  graceRemovalDueDateTime?: string;
  /** Directory changes not yet applied, or applied; failed ones are retried by reprocess and reconcile. */
  operations: DeliveryOperation[];
}

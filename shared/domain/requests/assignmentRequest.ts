import type { ApprovalStage, ExpirationPattern } from '../policies';

/** The request types a caller may send (reference §3); `system*` ones are made by Portcullis itself. */
export const CALLER_REQUEST_TYPES = ['userAdd', 'userUpdate', 'userRemove', 'adminAdd', 'adminUpdate', 'adminRemove'] as const;
export const REQUEST_TYPES = [...CALLER_REQUEST_TYPES, 'systemAdd', 'systemUpdate', 'systemRemove'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const REQUEST_STATES = [
  'submitted',
  'pendingApproval',
  'delivering',
  'delivered',
  'partiallyDelivered',
  'deliveryFailed',
  'denied',
  'scheduled',
  'canceled',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** The requestor of the requests Portcullis makes itself (`systemRemove` at an assignment's end), and their actor. */
export const SYSTEM_ACTOR = 'system';

/** States in which processing has ended and `completedDateTime` is set; failed ones may still be reprocessed. */
export const COMPLETED_REQUEST_STATES: ReadonlySet<RequestState> = new Set(['delivered', 'denied', 'canceled', 'deliveryFailed', 'partiallyDelivered']);

/** accessPackageAnswerString: the answer to one of the policy's questions. */
export interface Answer {
  '@odata.type': '#microsoft.graph.accessPackageAnswerString';
  value: string;
  displayValue: string | null;
  answeredQuestion: { id: string };
}

/** The part of entitlementManagementSchedule a request uses (recurrence belongs to access reviews). */
export interface RequestSchedule {
  startDateTime: string | null;
  expiration: ExpirationPattern | null;
}

/** A POST to assignmentRequests, read and normalised (beta aliases taken, enums in their v1.0 spelling). */
export interface RequestInput {
  requestType: (typeof CALLER_REQUEST_TYPES)[number];
  assignment: {
    /** The existing assignment, for remove and update requests. */
    id: string | null;
    targetId: string | null;
    /** An adminAdd's target named by address instead (`target.email`): someone to invite if not in the directory. */
    target: { email: string; displayName: string | null } | null;
    assignmentPolicyId: string | null;
    accessPackageId: string | null;
  };
  schedule: RequestSchedule | null;
  justification: string | null;
  answers: Answer[];
}

export type ReviewResult = 'NotReviewed' | 'Approved' | 'Denied';
/** Graph's approvalStage.status; `NotStarted` is Portcullis's for the stages after the current one (not shown). */
export type StageStatus = 'NotStarted' | 'InProgress' | 'Completed' | 'Expired';

export interface ApprovalStageRecord {
  id: string;
  /** 0-based position among the policy's stages. */
  index: number;
  status: StageStatus;
  /** The users who may decide this stage, resolved when the stage starts. */
  approverIds: string[];
  /** True once the stage's escalation approvers have taken over. */
  escalated: boolean;
  isApproverJustificationRequired: boolean;
  reviewResult: ReviewResult;
  justification: string | null;
  reviewedBy: { id: string; displayName: string | null } | null;
  reviewedDateTime: string | null;
  startedDateTime: string | null;
}

/** The approval of one request (Graph's `approval`, whose id is the request's id). */
export interface Approval {
  stages: ApprovalStageRecord[];
  /**
   * The policy's stages when the request was submitted: the approval follows them even if the policy changes or
   * goes meanwhile. Absent on requests stored before it was kept; those read their policy.
   */
  settings?: ApprovalStage[];
}

export interface AssignmentRequest {
  id: string;
  requestType: RequestType;
  state: RequestState;
  /** Graph's free-form status, for example `Accepted`, `PendingApproval`, `Delivered`. */
  status: string;
  createdDateTime: string;
  completedDateTime: string | null;
  justification: string | null;
  answers: Answer[];
  schedule: RequestSchedule;
  accessPackageId: string;
  assignmentPolicyId: string;
  catalogId: string;
  targetId: string;
  /**
   * The access package subject the request is for, when that person was not in the directory when it was made:
   * `targetId` is then the subject's id until fulfilment invites them (or finds them) and refiles the request
   * under their object id.
   */
  targetSubjectId?: string;
  /** Why delivery failed, when it did for a reason a retry cannot mend (an invitation refused). */
  failureReason?: string;
  /**
   * Portcullis's own, not Graph's (the request's view lists its fields: grantViews.ts): the digest of the package
   * configuration a request carried out at once was decided from, when that was the one its instance remembered
   * (configurationDigest.ts). Kept from its write until its check after the write has passed: whatever finishes it
   * meanwhile (its redelivery, drift repair) compares it with the configuration now (policyCheckOfDelivering).
   */
  decidedFrom?: string;
  /** The assignment the request creates, or the one it updates or removes. */
  assignmentId: string | null;
  requestorId: string;
  /** Null when the policy needs no approval. */
  approval: Approval | null;
}

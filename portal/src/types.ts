/** The Graph shapes the portal reads (the fields it uses). */
export interface AccessPackage {
  id: string;
  displayName: string;
  description: string | null;
  isHidden?: boolean;
}

export interface Question {
  '@odata.type': string;
  id: string;
  text: string;
  isRequired: boolean;
  isSingleLineQuestion?: boolean;
  isMultipleSelectionAllowed?: boolean;
  choices?: Array<{ actualValue: string; text: string }>;
}

export interface Expiration {
  type: 'noExpiration' | 'afterDateTime' | 'afterDuration' | string;
  endDateTime: string | null;
  duration: string | null;
}

export interface Requirements {
  policyId: string;
  policyDisplayName: string;
  policyDescription: string | null;
  allowCustomAssignmentSchedule: boolean;
  isApprovalRequiredForAdd: boolean;
  isRequestorJustificationRequired: boolean;
  questions: Question[];
  schedule: { expiration: Expiration | null };
}

export interface Answer {
  value: string;
  displayValue?: string;
  /** The question, as its policy asks it; only its id when the question has gone since. */
  answeredQuestion: { id: string; text?: string };
}

export interface Subject {
  id: string;
  displayName: string | null;
  email: string | null;
  principalName: string | null;
}

export interface AssignmentRequest {
  id: string;
  requestType: string;
  state: string;
  status: string;
  createdDateTime: string;
  completedDateTime: string | null;
  justification: string | null;
  answers: Answer[];
  schedule: { startDateTime: string | null; expiration: Expiration | null };
  accessPackage?: AccessPackage | null;
  requestor?: Subject | null;
}

export interface Assignment {
  id: string;
  state: string;
  status: string;
  expiredDateTime?: string | null;
  schedule: { startDateTime: string | null; expiration: Expiration | null };
  accessPackage?: AccessPackage | null;
  assignmentPolicy?: {
    id?: string;
    displayName: string;
    requestorSettings?: { enableTargetsToSelfRemoveAccess?: boolean; enableTargetsToSelfUpdateAccess?: boolean };
    requestApprovalSettings?: { isRequestorJustificationRequired?: boolean };
  } | null;
}

export interface ApprovalStage {
  id: string;
  displayName: string | null;
  reviewResult: string;
  status: string;
  assignedToMe: boolean;
  justification: string;
  reviewedBy: { id?: string; displayName?: string | null } | null;
  reviewedDateTime: string | null;
  /** When the stage is denied if nobody decides it, and when it escalates (instance annotations, approvalStages.ts). */
  '@portcullis.expirationDateTime'?: string;
  '@portcullis.escalationDateTime'?: string;
}

export interface Approval {
  id: string;
  stages: ApprovalStage[];
}

/** One of the signed-in person's direct reports (`/api/myAccess/directReports`). */
export interface DirectReport {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
}

/** A package the person's peers hold (`/api/myAccess/suggestedAccessPackages`). */
export interface SuggestedPackage extends AccessPackage {
  peersWithAccess: number;
}

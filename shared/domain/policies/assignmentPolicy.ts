/**
 * The v1.0 accessPackageAssignmentPolicy as Graph returns it, less what the store adds (id, createdDateTime,
 * modifiedDateTime). Enum members are the v1.0 metadata's; `unknownFutureValue` is a sentinel for clients that
 * meet newer members and is never a value anyone may set, so it is left out.
 */

export const ALLOWED_TARGET_SCOPES = [
  'notSpecified',
  'specificDirectoryUsers',
  'specificConnectedOrganizationUsers',
  'specificDirectoryServicePrincipals',
  'allMemberUsers',
  'allDirectoryUsers',
  'allDirectoryServicePrincipals',
  'allConfiguredConnectedOrganizationUsers',
  'allExternalUsers',
  'allDirectoryAgentIdentities',
] as const;
export type AllowedTargetScope = (typeof ALLOWED_TARGET_SCOPES)[number];

export const EXPIRATION_PATTERN_TYPES = ['notSpecified', 'noExpiration', 'afterDateTime', 'afterDuration'] as const;
export type ExpirationPatternType = (typeof EXPIRATION_PATTERN_TYPES)[number];

export const APPROVER_INFORMATION_VISIBILITIES = ['default', 'notVisible', 'visible'] as const;
export type ApproverInformationVisibility = (typeof APPROVER_INFORMATION_VISIBILITIES)[number];

export const ACCESS_REVIEW_EXPIRATION_BEHAVIORS = ['keepAccess', 'removeAccess', 'acceptAccessRecommendation'] as const;
export type AccessReviewExpirationBehavior = (typeof ACCESS_REVIEW_EXPIRATION_BEHAVIORS)[number];

export const RECURRENCE_PATTERN_TYPES = [
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
] as const;
export type RecurrencePatternType = (typeof RECURRENCE_PATTERN_TYPES)[number];

export const RECURRENCE_RANGE_TYPES = ['endDate', 'noEnd', 'numbered'] as const;
export type RecurrenceRangeType = (typeof RECURRENCE_RANGE_TYPES)[number];

export const DAYS_OF_WEEK = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

export const WEEK_INDEXES = ['first', 'second', 'third', 'fourth', 'last'] as const;
export type WeekIndex = (typeof WEEK_INDEXES)[number];

export const SUBJECT_SET_TYPES = [
  'singleUser',
  'groupMembers',
  'connectedOrganizationMembers',
  'attributeRuleMembers',
  'singleServicePrincipal',
  'requestorManager',
  'internalSponsors',
  'externalSponsors',
  'targetManager',
  'targetUserSponsors',
  'targetApplicationOwners',
] as const;
export type SubjectSetType = (typeof SUBJECT_SET_TYPES)[number];

export interface SingleUser {
  '@odata.type': '#microsoft.graph.singleUser';
  userId: string;
  description: string | null;
}
export interface GroupMembers {
  '@odata.type': '#microsoft.graph.groupMembers';
  groupId: string;
  description: string | null;
}
export interface ConnectedOrganizationMembers {
  '@odata.type': '#microsoft.graph.connectedOrganizationMembers';
  connectedOrganizationId: string;
  description: string | null;
}
export interface AttributeRuleMembers {
  '@odata.type': '#microsoft.graph.attributeRuleMembers';
  membershipRule: string;
  description: string | null;
}
export interface SingleServicePrincipal {
  '@odata.type': '#microsoft.graph.singleServicePrincipal';
  servicePrincipalId: string;
  description: string | null;
}
export interface RequestorManager {
  '@odata.type': '#microsoft.graph.requestorManager';
  managerLevel: number;
}
export interface TargetManager {
  '@odata.type': '#microsoft.graph.targetManager';
  managerLevel: number;
}
export interface InternalSponsors {
  '@odata.type': '#microsoft.graph.internalSponsors';
}
export interface ExternalSponsors {
  '@odata.type': '#microsoft.graph.externalSponsors';
}
export interface TargetUserSponsors {
  '@odata.type': '#microsoft.graph.targetUserSponsors';
}
export interface TargetApplicationOwners {
  '@odata.type': '#microsoft.graph.targetApplicationOwners';
}
export type SubjectSet =
  | SingleUser
  | GroupMembers
  | ConnectedOrganizationMembers
  | AttributeRuleMembers
  | SingleServicePrincipal
  | RequestorManager
  | TargetManager
  | InternalSponsors
  | ExternalSponsors
  | TargetUserSponsors
  | TargetApplicationOwners;

export interface ExpirationPattern {
  type: ExpirationPatternType;
  /** ISO 8601 duration; set only when type is afterDuration. */
  duration: string | null;
  /** UTC ISO 8601 date-time; set only when type is afterDateTime. */
  endDateTime: string | null;
}

export interface AutomaticRequestSettings {
  requestAccessForAllowedTargets: boolean;
  removeAccessWhenTargetLeavesAllowedTargets: boolean;
  gracePeriodBeforeAccessRemoval: string | null;
}

export interface RequestorSettings {
  allowCustomAssignmentSchedule: boolean;
  enableOnBehalfRequestorsToAddAccess: boolean;
  enableOnBehalfRequestorsToRemoveAccess: boolean;
  enableOnBehalfRequestorsToUpdateAccess: boolean;
  enableTargetsToSelfAddAccess: boolean;
  enableTargetsToSelfRemoveAccess: boolean;
  enableTargetsToSelfUpdateAccess: boolean;
  onBehalfRequestors: SubjectSet[];
}

export interface ApprovalStage {
  durationBeforeAutomaticDenial: string;
  durationBeforeEscalation: string;
  isApproverJustificationRequired: boolean;
  isEscalationEnabled: boolean;
  approverInformationVisibility: ApproverInformationVisibility;
  primaryApprovers: SubjectSet[];
  fallbackPrimaryApprovers: SubjectSet[];
  escalationApprovers: SubjectSet[];
  fallbackEscalationApprovers: SubjectSet[];
}

export interface ApprovalSettings {
  isApprovalRequiredForAdd: boolean;
  isApprovalRequiredForUpdate: boolean;
  isRequestorJustificationRequired: boolean;
  /** Empty when no approval is required; one to three stages, run in order, when it is. */
  stages: ApprovalStage[];
}

export interface RecurrencePattern {
  type: RecurrencePatternType;
  interval: number;
  month: number;
  dayOfMonth: number;
  daysOfWeek: DayOfWeek[];
  firstDayOfWeek: DayOfWeek | null;
  index: WeekIndex | null;
}

export interface RecurrenceRange {
  type: RecurrenceRangeType;
  /** Dates as YYYY-MM-DD (Edm.Date). */
  startDate: string | null;
  endDate: string | null;
  numberOfOccurrences: number;
  recurrenceTimeZone: string | null;
}

export interface PatternedRecurrence {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
}

export interface EntitlementManagementSchedule {
  startDateTime: string | null;
  expiration: ExpirationPattern | null;
  recurrence: PatternedRecurrence | null;
}

export interface ReviewSettings {
  isEnabled: boolean;
  expirationBehavior: AccessReviewExpirationBehavior;
  isRecommendationEnabled: boolean;
  isReviewerJustificationRequired: boolean;
  isSelfReview: boolean;
  primaryReviewers: SubjectSet[];
  fallbackReviewers: SubjectSet[];
  schedule: EntitlementManagementSchedule | null;
}

export interface LocalizedText {
  languageCode: string;
  text: string;
}

export interface AnswerChoice {
  actualValue: string;
  text: string;
  localizations: LocalizedText[];
}

interface QuestionBase {
  id: string;
  sequence: number;
  isRequired: boolean;
  isAnswerEditable: boolean;
  text: string;
  localizations: LocalizedText[];
}

export interface TextInputQuestion extends QuestionBase {
  '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion';
  isSingleLineQuestion: boolean;
  regexPattern: string | null;
}

export interface MultipleChoiceQuestion extends QuestionBase {
  '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion';
  isMultipleSelectionAllowed: boolean;
  choices: AnswerChoice[];
}

export type AccessPackageQuestion = TextInputQuestion | MultipleChoiceQuestion;

export interface NotificationSettings {
  isAssignmentNotificationDisabled: boolean;
}

export interface AssignmentPolicy {
  displayName: string;
  description: string | null;
  allowedTargetScope: AllowedTargetScope;
  specificAllowedTargets: SubjectSet[];
  /** Present only on an auto-assignment policy; null on a request-based one. */
  automaticRequestSettings: AutomaticRequestSettings | null;
  requestorSettings: RequestorSettings;
  requestApprovalSettings: ApprovalSettings;
  reviewSettings: ReviewSettings | null;
  expiration: ExpirationPattern;
  questions: AccessPackageQuestion[];
  notificationSettings?: NotificationSettings;
}

export interface PolicyInput {
  accessPackageId: string;
  policy: AssignmentPolicy;
}

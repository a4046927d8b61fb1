import type { QueryCapabilities } from '../odata';

/** What the access review collections answer to (reference graph-wave2 §2.3: pages of at most 100). */
export const DEFINITIONS: QueryCapabilities = {
  filter: { id: 'guid', displayName: 'string', status: 'string', createdDateTime: 'dateTime' },
  select: ['id', 'displayName', 'descriptionForAdmins', 'descriptionForReviewers', 'createdBy', 'createdDateTime', 'lastModifiedDateTime', 'status', 'scope', 'instanceEnumerationScope', 'reviewers', 'fallbackReviewers', 'settings', 'additionalNotificationRecipients'],
  orderBy: ['displayName', 'createdDateTime'],
  count: true,
  maxTop: 100,
};

export const INSTANCES: QueryCapabilities = {
  filter: { id: 'guid', status: 'string', startDateTime: 'dateTime', endDateTime: 'dateTime' },
  select: ['id', 'startDateTime', 'endDateTime', 'status', 'scope', 'reviewers', 'fallbackReviewers'],
  orderBy: ['startDateTime', 'endDateTime'],
  count: true,
  maxTop: 100,
};

export const DECISIONS: QueryCapabilities = {
  filter: { id: 'guid', decision: 'string', recommendation: 'string', applyResult: 'string', reviewedDateTime: 'dateTime', 'principal/id': 'guid' },
  select: [
    'id', 'accessReviewId', 'decision', 'recommendation', 'justification', 'reviewedBy', 'reviewedDateTime', 'applyResult', 'appliedBy', 'appliedDateTime',
    'principalLink', 'resourceLink', 'principal', 'resource',
  ],
  orderBy: ['decision', 'reviewedDateTime', 'recommendation'],
  count: true,
  maxTop: 100,
};

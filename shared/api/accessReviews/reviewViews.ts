import type { SubjectSet } from '../../domain/policies';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { ReviewDecision, ReviewInstance } from '../../domain/reviews/accessReview';
import { RECOMMENDATION_LOOK_BACK_DAYS } from '../../domain/reviews/accessReview';
import { durationOf } from '../../domain/reviews/reviewSchedule';
import type { ReviewSettings } from '../../domain/policies';
import type { EntitlementDeps } from '../../operations/entitlements/entitlementDeps';
import { findDefinition, type ReviewDefinition } from '../../operations/reviews/reviewQueries';
import type { EntityView } from '../entitlementManagement/views';

type Json = Record<string, unknown>;

/** How Graph writes "nobody" in reviewedBy and appliedBy. */
const NOBODY = { id: '00000000-0000-0000-0000-000000000000', displayName: '', userPrincipalName: '' };

const identity = (id: string | null, displayName?: string | null, userPrincipalName?: string | null) =>
  !id || id === SYSTEM_ACTOR ? NOBODY : { id, displayName: displayName ?? null, userPrincipalName: userPrincipalName ?? null };

/** accessReviewReviewerScope entries for a policy's reviewer lists (a self-review names nobody: each assignee reviews). */
function reviewerScopes(subjects: readonly SubjectSet[]): Json[] {
  return subjects.flatMap((s): Json[] => {
    switch (s['@odata.type']) {
      case '#microsoft.graph.singleUser':
        return [{ query: `/users/${s.userId}`, queryType: 'MicrosoftGraph', queryRoot: null }];
      case '#microsoft.graph.groupMembers':
        return [{ query: `/groups/${s.groupId}/transitiveMembers`, queryType: 'MicrosoftGraph', queryRoot: null }];
      case '#microsoft.graph.requestorManager':
        return [{ query: './manager', queryType: 'MicrosoftGraph', queryRoot: 'decisions' }];
      default:
        return [];
    }
  });
}

/** The scope of a definition and its instances: the reviewed policy, its package and catalog. */
function scopeOf(definition: ReviewDefinition): Json {
  return {
    '@odata.type': '#microsoft.graph.accessReviewAccessPackageAssignmentPolicyScope',
    resourceId: definition.policy.id,
    scopeType: 'accessPackageAssignmentPolicy',
    displayName: definition.policy.displayName,
    accessPackageId: definition.policy.accessPackageId,
    accessPackageDisplayName: definition.accessPackageDisplayName,
    catalogId: definition.catalogId ?? null,
  };
}

const DEFAULT_DECISIONS = { keepAccess: 'None', removeAccess: 'Deny', acceptAccessRecommendation: 'Recommendation' } as const;

/** accessReviewScheduleSettings from the policy's reviewSettings. */
function settingsOf(settings: ReviewSettings): Json {
  return {
    mailNotificationsEnabled: true,
    reminderNotificationsEnabled: true,
    justificationRequiredOnApproval: settings.isReviewerJustificationRequired,
    defaultDecisionEnabled: settings.expirationBehavior !== 'keepAccess',
    defaultDecision: DEFAULT_DECISIONS[settings.expirationBehavior],
    instanceDurationInDays: Math.max(1, Math.ceil(durationOf(settings).as('days'))),
    autoApplyDecisionsEnabled: true,
    applyActions: [{ '@odata.type': '#microsoft.graph.removeAccessApplyAction' }],
    recommendationsEnabled: settings.isRecommendationEnabled,
    recommendationLookBackDuration: `P${RECOMMENDATION_LOOK_BACK_DAYS}D`,
    recurrence: settings.schedule?.recurrence ?? null,
  };
}

export const definitionView: EntityView<ReviewDefinition> = {
  filterView: (d) => ({ id: d.policy.id, displayName: `Review of ${d.policy.displayName}`, status: 'InProgress', createdDateTime: d.policy.createdDateTime }),
  render: async (_deps, d) => {
    const settings = d.policy.reviewSettings!;
    return {
      id: d.policy.id,
      displayName: `Review of ${d.policy.displayName}`,
      descriptionForAdmins: `Access review of the assignments of policy "${d.policy.displayName}" of access package "${d.accessPackageDisplayName ?? d.policy.accessPackageId}".`,
      descriptionForReviewers: `Do these people still need access package "${d.accessPackageDisplayName ?? d.policy.accessPackageId}"?`,
      createdBy: NOBODY,
      createdDateTime: d.policy.createdDateTime,
      lastModifiedDateTime: d.policy.modifiedDateTime,
      status: 'InProgress',
      scope: scopeOf(d),
      instanceEnumerationScope: null,
      reviewers: settings.isSelfReview ? [] : reviewerScopes(settings.primaryReviewers),
      fallbackReviewers: reviewerScopes(settings.fallbackReviewers),
      additionalNotificationRecipients: [],
      settings: settingsOf(settings),
    };
  },
};

/** Views that show an instance's or an item's definition read each definition once per request. */
function definitions(deps: EntitlementDeps): (id: string) => Promise<ReviewDefinition> {
  const cache = new Map<string, Promise<ReviewDefinition>>();
  return (id) => {
    let found = cache.get(id);
    if (!found) cache.set(id, (found = findDefinition(deps, id)));
    return found;
  };
}

export function instanceView(deps: EntitlementDeps): EntityView<ReviewInstance> {
  const definitionOf = definitions(deps);
  return {
    filterView: (i) => ({ id: i.id, status: i.status, startDateTime: i.startDateTime, endDateTime: i.endDateTime }),
    render: async (_deps, i) => {
      const definition = await definitionOf(i.definitionId);
      return {
        id: i.id,
        startDateTime: i.startDateTime,
        endDateTime: i.endDateTime,
        status: i.status,
        scope: scopeOf(definition),
        reviewers: i.settings.isSelfReview ? [] : reviewerScopes(i.settings.primaryReviewers),
        fallbackReviewers: reviewerScopes(i.settings.fallbackReviewers),
      };
    },
  };
}

export function decisionView(deps: EntitlementDeps): EntityView<ReviewDecision> {
  const definitionOf = definitions(deps);
  return {
    filterView: (d) => ({
      id: d.id,
      decision: d.decision,
      recommendation: d.recommendation,
      applyResult: d.applyResult,
      reviewedDateTime: d.reviewedDateTime,
      principal: { id: d.principalId },
    }),
    render: async (_deps, d) => {
      const definition = await definitionOf(d.definitionId).catch(() => undefined);
      return {
        id: d.id,
        accessReviewId: d.instanceId,
        decision: d.decision,
        recommendation: d.recommendation,
        justification: d.justification,
        reviewedBy: identity(d.reviewedById, d.reviewedByDisplayName, d.reviewedByUserPrincipalName),
        reviewedDateTime: d.reviewedDateTime,
        applyResult: d.applyResult,
        appliedBy: identity(d.appliedById),
        appliedDateTime: d.appliedDateTime,
        principalLink: `https://graph.microsoft.com/v1.0/users/${d.principalId}`,
        resourceLink: null,
        principal: { '@odata.type': '#microsoft.graph.userIdentity', id: d.principalId, displayName: d.principalDisplayName, userPrincipalName: d.principalUserPrincipalName },
        resource: {
          '@odata.type': '#microsoft.graph.accessReviewInstanceDecisionItemAccessPackageAssignmentPolicyResource',
          id: d.policyId,
          displayName: definition?.policy.displayName ?? null,
          type: 'AccessPackageAssignmentPolicy',
          accessPackageId: d.accessPackageId,
          accessPackageDisplayName: definition?.accessPackageDisplayName ?? null,
        },
      };
    },
  };
}

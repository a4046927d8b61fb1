import type { Assignment } from '../../domain/assignments/assignment';
import type { AssignmentRequest, RequestSchedule } from '../../domain/requests/assignmentRequest';
import { findAccessPackage } from '../../operations/entitlements/accessPackages';
import { findAssignmentPolicy } from '../../operations/entitlements/assignmentPolicies';
import type { EntitlementDeps } from '../../operations/entitlements/entitlementDeps';
import { orNull, withExpansions, withoutCatalogId, type EntityView } from './views';

type Json = Record<string, unknown>;

/** entitlementManagementSchedule as Graph shows it on requests and assignments. */
function scheduleView(schedule: RequestSchedule): Json {
  return { startDateTime: schedule.startDateTime, expiration: schedule.expiration, recurrence: null };
}

/**
 * accessPackageSubject: who a request or assignment is for. A user of the directory is shown from the directory,
 * under their object id (the subject's id is the object id): `governed` when Portcullis invited them, `notGoverned`
 * when it found them already there. Someone not in it yet (an external requestor before invitation) is shown from
 * the subject Portcullis keeps for them, `objectId` null.
 */
export async function subjectView(deps: EntitlementDeps, id: string): Promise<Json> {
  const unbound = (await deps.subjects.get(id))?.value;
  if (unbound && !unbound.objectId) {
    const { email, displayName, principalName, subjectType, subjectLifecycle } = unbound;
    return { id: unbound.id, objectId: null, displayName, email, principalName, onPremisesSecurityIdentifier: null, subjectType, subjectLifecycle };
  }
  const [user, subject] = await Promise.all([deps.directory.getUser(id), deps.subjects.byObjectId(id)]);
  const bound = subject?.value.objectId?.toLowerCase() === id.toLowerCase() ? subject.value : undefined;
  return {
    id,
    objectId: id,
    displayName: user?.displayName ?? null,
    email: user?.mail ?? null,
    principalName: user?.userPrincipalName ?? null,
    onPremisesSecurityIdentifier: null,
    subjectType: 'user',
    subjectLifecycle: bound?.subjectLifecycle ?? 'notDefined',
  };
}

async function packageOrNull(deps: EntitlementDeps, id: string): Promise<Json | null> {
  const found = await orNull(findAccessPackage(deps, id));
  return found && withoutCatalogId(found);
}

async function policyOrNull(deps: EntitlementDeps, id: string): Promise<Json | null> {
  const found = await orNull(findAssignmentPolicy(deps, id));
  if (!found) return null;
  const { accessPackageId: _package, ...policy } = found;
  return policy;
}

function assignmentFields(a: Assignment): Json {
  return { id: a.id, state: a.state, status: a.status, expiredDateTime: a.expiredDateTime, schedule: scheduleView(a.schedule), customExtensionCalloutInstances: [] };
}

export const assignmentView: EntityView<Assignment> = {
  filterView: (a) => ({ ...assignmentFields(a), accessPackage: { id: a.accessPackageId, catalog: { id: a.catalogId } }, assignmentPolicy: { id: a.assignmentPolicyId }, target: { objectId: a.targetId } }),
  render: (deps, a, expand) =>
    withExpansions(assignmentFields(a), expand, {
      target: () => subjectView(deps, a.targetId),
      accessPackage: () => packageOrNull(deps, a.accessPackageId),
      assignmentPolicy: () => policyOrNull(deps, a.assignmentPolicyId),
    }),
};

function requestFields(r: AssignmentRequest): Json {
  return {
    id: r.id,
    requestType: r.requestType,
    state: r.state,
    status: r.status,
    createdDateTime: r.createdDateTime,
    completedDateTime: r.completedDateTime,
    justification: r.justification,
    answers: r.answers,
    schedule: scheduleView(r.schedule),
    customExtensionCalloutInstances: [],
  };
}

/**
 * The answers with the questions they answer, as Graph shows `answeredQuestion` (text, localizations, choices), so
 * an approver reads each answer beside its question. The request keeps only the question's id; the text is its
 * policy's now, and an answer whose question has gone since keeps just the id.
 */
async function answersWithQuestions(deps: EntitlementDeps, r: AssignmentRequest): Promise<Json[]> {
  if (r.answers.length === 0) return [];
  const questions = (await deps.store.policies.get(r.accessPackageId, r.assignmentPolicyId))?.value.questions ?? [];
  return r.answers.map((answer) => ({ ...answer, answeredQuestion: questions.find((q) => q.id === answer.answeredQuestion.id) ?? answer.answeredQuestion }));
}

export const requestView: EntityView<AssignmentRequest> = {
  filterView: (r) => ({ ...requestFields(r), accessPackage: { id: r.accessPackageId, catalog: { id: r.catalogId } }, requestor: { objectId: r.requestorId }, assignment: { id: r.assignmentId } }),
  render: async (deps, r, expand) =>
    withExpansions({ ...requestFields(r), answers: await answersWithQuestions(deps, r) }, expand, {
      accessPackage: () => packageOrNull(deps, r.accessPackageId),
      requestor: () => subjectView(deps, r.requestorId),
      assignment: async (item) => {
        // Before approval there is no assignment yet.
        const stored = r.assignmentId ? await deps.grants.findAssignment(r.assignmentId) : undefined;
        return stored ? assignmentView.render(deps, stored.value, item.expand ?? []) : null;
      },
    }),
};

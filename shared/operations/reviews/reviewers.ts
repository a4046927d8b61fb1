import type { DirectoryPage, DirectoryObjectRef, DirectoryUser } from '../../directory/directoryPort';
import type { ReviewSettings } from '../../domain/policies';
import { resolveApprovers, type ApproverDirectory } from '../requests/resolveApprovers';

/**
 * Who reviews one assignee's assignment, resolved when the review opens: the assignee alone for a self-review;
 * otherwise the primary reviewers (a user, a group's members, the assignee's manager), or the fallback reviewers
 * where those resolve to nobody. The assignee never reviews their own access unless it is a self-review. The
 * resolution is the approvers' (resolveApprovers), with the assignee as requestor and target.
 */
export type ReviewerResolver = (assigneeId: string) => Promise<string[]>;

export function reviewerResolver(directory: ApproverDirectory, settings: ReviewSettings): ReviewerResolver {
  if (settings.isSelfReview) return async (assigneeId) => [assigneeId];
  const shared = memoized(directory);
  const stage = {
    durationBeforeAutomaticDenial: 'P14D',
    durationBeforeEscalation: 'PT0S',
    isApproverJustificationRequired: false,
    isEscalationEnabled: false,
    approverInformationVisibility: 'default' as const,
    primaryApprovers: settings.primaryReviewers,
    fallbackPrimaryApprovers: settings.fallbackReviewers,
    escalationApprovers: [],
    fallbackEscalationApprovers: [],
  };
  return (assigneeId) => resolveApprovers(shared, stage, { requestorId: assigneeId, targetId: assigneeId }, { escalation: false });
}

/**
 * The directory as one opening reads it: a user or a page of a group's members is read once for all the
 * assignments under review (a reviewer group costs one read, not one per assignment).
 */
function memoized(directory: ApproverDirectory): ApproverDirectory {
  const users = new Map<string, Promise<DirectoryUser | undefined>>();
  const pages = new Map<string, Promise<DirectoryPage<DirectoryObjectRef>>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let found = cache.get(key);
    if (!found) {
      found = read();
      cache.set(key, found);
      found.catch(() => cache.delete(key));
    }
    return found;
  };
  return {
    getUser: (id) => once(users, id, () => directory.getUser(id)),
    listGroupMembers: (groupId, page) => once(pages, `${groupId}|${page ?? ''}`, () => directory.listGroupMembers(groupId, page)),
    getUserSponsorIds: (id) => directory.getUserSponsorIds(id),
  };
}

import { DirectoryError } from '../../directory/directoryError';
import type { DirectoryPort } from '../../directory/directoryPort';
import type { ApprovalStage, SubjectSet } from '../../domain/policies';

export type ApproverDirectory = Pick<DirectoryPort, 'getUser' | 'listGroupMembers' | 'getUserSponsorIds'>;

export type SponsorKind = 'internal' | 'external';

export interface ApproverContext {
  requestorId: string;
  targetId: string;
  /** The sponsors of the requestor's connected organization; without it (no connected organizations yet), none. */
  sponsorsOfConnectedOrganization?: (kind: SponsorKind) => Promise<string[]>;
}

/**
 * The most approvers one stage gets. A stage that names a large group would otherwise read the whole group and
 * index the request under every member; a thousand people who can each decide is plenty.
 */
export const MAX_APPROVERS_PER_STAGE = 1000;

/**
 * The user ids who may decide a stage, resolved now (a manager who changed since the request counts): the primary
 * approvers, or the escalation approvers once escalated; the fallback list when those resolve to nobody. The
 * requestor and the target are left out everywhere, also when a group holds them. Unique, in the policy's order.
 */
export async function resolveApprovers(
  directory: ApproverDirectory,
  stage: ApprovalStage,
  context: ApproverContext,
  options: { escalation: boolean },
): Promise<string[]> {
  const [approvers, fallback] = options.escalation
    ? [stage.escalationApprovers, stage.fallbackEscalationApprovers]
    : [stage.primaryApprovers, stage.fallbackPrimaryApprovers];
  const resolved = await resolveList(directory, approvers, context);
  return resolved.length > 0 ? resolved : resolveList(directory, fallback, context);
}

async function resolveList(directory: ApproverDirectory, subjects: readonly SubjectSet[], context: ApproverContext): Promise<string[]> {
  const approvers = new ApproverList([context.requestorId, context.targetId]);
  for (const subject of subjects) {
    if (approvers.isFull) break;
    if (subject['@odata.type'] === '#microsoft.graph.groupMembers') await addGroupMembers(directory, subject.groupId, approvers);
    else approvers.add(await resolveSubject(directory, subject, context));
  }
  return approvers.ids;
}

/** Unique ids in the order added, without the excluded ones, up to the cap. */
class ApproverList {
  readonly #excluded: ReadonlySet<string>;
  readonly #ids = new Set<string>();

  constructor(excluded: Iterable<string>) {
    this.#excluded = new Set(excluded);
  }

  get isFull(): boolean {
    return this.#ids.size >= MAX_APPROVERS_PER_STAGE;
  }

  get ids(): string[] {
    return [...this.#ids];
  }

  add(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.isFull) return;
      if (!this.#excluded.has(id)) this.#ids.add(id);
    }
  }
}

/** Adds a group's user members page by page, and reads no further page once the stage is full. */
async function addGroupMembers(directory: ApproverDirectory, groupId: string, approvers: ApproverList): Promise<void> {
  let page: string | undefined;
  do {
    const members = await noneIfGone(() => directory.listGroupMembers(groupId, page), { items: [] });
    // Direct members only, and only users: a nested group or a device cannot sign in to decide.
    approvers.add(members.items.filter((m) => m.type === 'user').map((m) => m.id));
    page = members.nextPage;
  } while (page && !approvers.isFull);
}

async function resolveSubject(directory: ApproverDirectory, subject: SubjectSet, context: ApproverContext): Promise<string[]> {
  switch (subject['@odata.type']) {
    case '#microsoft.graph.singleUser': {
      const user = await directory.getUser(subject.userId);
      return user ? [user.id] : [];
    }
    case '#microsoft.graph.requestorManager':
      return managerAbove(directory, context.requestorId, subject.managerLevel);
    case '#microsoft.graph.internalSponsors':
      return (await context.sponsorsOfConnectedOrganization?.('internal')) ?? [];
    case '#microsoft.graph.externalSponsors':
      return (await context.sponsorsOfConnectedOrganization?.('external')) ?? [];
    case '#microsoft.graph.targetUserSponsors':
      return noneIfGone(() => directory.getUserSponsorIds(context.targetId), []);
    default:
      // Policy validation keeps every other kind of subject out of approver lists.
      return [];
  }
}

/** The manager `levels` steps up from the user (1: the direct manager); nobody when a link is missing. */
async function managerAbove(directory: ApproverDirectory, userId: string, levels: number): Promise<string[]> {
  let current = userId;
  for (let level = 0; level < levels; level += 1) {
    const managerId = (await directory.getUser(current))?.managerId;
    if (!managerId) return [];
    current = managerId;
  }
  return [current];
}

/** A group or user deleted since the policy named it approves nothing; any other failure is the caller's to handle. */
async function noneIfGone<T>(read: () => Promise<T>, none: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof DirectoryError && error.kind === 'notFound') return none;
    throw error;
  }
}

import { DirectoryError } from '../../directory/directoryError';
import type { DirectoryObjectRef, DirectoryPort } from '../../directory/directoryPort';
import type { ApprovalStage, SubjectSet } from '../../domain/policies';
import { approverEntries, subjectKey } from '../../domain/policies/approvalSettings';
import { MAX_APPROVERS_RESOLVED, MAX_DIRECTORY_ID_LENGTH } from '../../domain/requests/requestSize';

export type ApproverDirectory = Pick<DirectoryPort, 'getUser' | 'listGroupMembers' | 'getUserSponsorIds'>;

export type SponsorKind = 'internal' | 'external';

export interface ApproverContext {
  requestorId: string;
  targetId: string;
  /**
   * The sponsors of the requestor's connected organization, users or groups (whose members then approve); without
   * it (a requestor of no connected organization), none, and the stage falls back.
   */
  sponsorsOfConnectedOrganization?: (kind: SponsorKind) => Promise<DirectoryObjectRef[]>;
}

/**
 * The most approvers one resolution of a stage gives. A stage that names a large group would otherwise read the
 * whole group and index the request under every member; 500 people who can each decide is plenty, and the stored
 * request stays within one row (requestSize.ts).
 */
export const MAX_APPROVERS_PER_STAGE = MAX_APPROVERS_RESOLVED;

/**
 * The user ids who may decide a stage, resolved now (a manager who changed since the request counts): the primary
 * approvers, or the escalation approvers once escalated; the fallback list when those resolve to nobody. The
 * requestor and the target are left out everywhere, also when a group holds them. Unique, in the policy's order.
 * Each distinct entry is resolved once, and the manager chain walked once, however often the lists name them, so a
 * stage costs at most a few directory reads per distinct entry (policy validation caps the entries of a stage).
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
  const resolver = new SubjectResolver(directory, context);
  const resolved = await resolveList(resolver, approvers, context);
  return resolved.length > 0 ? resolved : resolveList(resolver, fallback, context);
}

async function resolveList(resolver: SubjectResolver, subjects: readonly SubjectSet[], context: ApproverContext): Promise<string[]> {
  const approvers = new ApproverList([context.requestorId, context.targetId]);
  for (const subject of approverEntries(subjects)) {
    if (approvers.isFull) break;
    const sponsors = SPONSOR_KINDS[subject['@odata.type']];
    if (subject['@odata.type'] === '#microsoft.graph.groupMembers') await addGroupMembers(resolver.directory, subject.groupId, approvers);
    else if (sponsors) await addSponsors(resolver, sponsors, approvers);
    else approvers.add(await resolver.resolve(subject));
  }
  return approvers.ids;
}

const SPONSOR_KINDS: Partial<Record<SubjectSet['@odata.type'], SponsorKind>> = {
  '#microsoft.graph.internalSponsors': 'internal',
  '#microsoft.graph.externalSponsors': 'external',
};

/** The organization's sponsors of one kind: its sponsor users, and the members of its sponsor groups. */
async function addSponsors(resolver: SubjectResolver, kind: SponsorKind, approvers: ApproverList): Promise<void> {
  for (const sponsor of await resolver.sponsors(kind)) {
    if (approvers.isFull) return;
    if (sponsor.type === 'group') await addGroupMembers(resolver.directory, sponsor.id, approvers);
    else if (sponsor.type === 'user') approvers.add([sponsor.id]);
  }
}

/**
 * Resolves the entries of one stage's lists, each kind at most once: the primary list and its fallback share what
 * was read, so a user or the sponsors named in both cost one read, and the manager chain is walked once.
 */
class SubjectResolver {
  readonly #resolved = new Map<string, Promise<string[]>>();
  readonly #sponsors = new Map<SponsorKind, Promise<DirectoryObjectRef[]>>();
  /** The requestor's managers, nearest first, as far up as read so far; null once the chain has ended. */
  readonly #managers: Array<string | null> = [];

  constructor(
    readonly directory: ApproverDirectory,
    private readonly context: ApproverContext,
  ) {}

  resolve(subject: SubjectSet): Promise<string[]> {
    const key = subjectKey(subject);
    let resolved = this.#resolved.get(key);
    if (!resolved) {
      resolved = this.#resolveOnce(subject);
      this.#resolved.set(key, resolved);
    }
    return resolved;
  }

  /** The connected organization's sponsors of one kind, looked up once for the primary list and its fallback. */
  sponsors(kind: SponsorKind): Promise<DirectoryObjectRef[]> {
    let sponsors = this.#sponsors.get(kind);
    if (!sponsors) {
      sponsors = this.context.sponsorsOfConnectedOrganization?.(kind) ?? Promise.resolve([]);
      this.#sponsors.set(kind, sponsors);
    }
    return sponsors;
  }

  async #resolveOnce(subject: SubjectSet): Promise<string[]> {
    const { directory, context } = this;
    switch (subject['@odata.type']) {
      case '#microsoft.graph.singleUser': {
        const user = await directory.getUser(subject.userId);
        return user ? [user.id] : [];
      }
      case '#microsoft.graph.requestorManager': {
        const manager = await this.#managerAbove(subject.managerLevel);
        return manager ? [manager] : [];
      }
      case '#microsoft.graph.targetUserSponsors':
        return noneIfGone(() => directory.getUserSponsorIds(context.targetId), []);
      default:
        // Policy validation keeps every other kind of subject out of approver lists.
        return [];
    }
  }

  /** The manager `levels` steps up from the requestor (1: the direct manager); none when a link is missing. */
  async #managerAbove(levels: number): Promise<string | null> {
    while (this.#managers.length < levels && this.#managers.at(-1) !== null) {
      const below = this.#managers.at(-1) ?? this.context.requestorId;
      this.#managers.push((await this.directory.getUser(below))?.managerId ?? null);
    }
    return this.#managers[levels - 1] ?? null;
  }
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
      if (!this.#excluded.has(id) && id.length <= MAX_DIRECTORY_ID_LENGTH) this.#ids.add(id);
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

/** A group or user deleted since the policy named it approves nothing; any other failure is the caller's to handle. */
async function noneIfGone<T>(read: () => Promise<T>, none: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof DirectoryError && error.kind === 'notFound') return none;
    throw error;
  }
}

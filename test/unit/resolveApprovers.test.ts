import { DirectoryError } from '../../shared/directory/directoryError';
import type { DirectoryObjectRef, DirectoryPage, DirectoryUser } from '../../shared/directory/directoryPort';
import type { ApprovalStage, SubjectSet } from '../../shared/domain/policies';
import { MAX_APPROVER_ENTRIES_PER_STAGE } from '../../shared/domain/policies/approvalSettings';
import {
  type ApproverContext,
  type ApproverDirectory,
  MAX_APPROVERS_PER_STAGE,
  resolveApprovers,
} from '../../shared/operations/requests/resolveApprovers';
import { memberUser } from '../support/directoryUsers';

/** A directory of users (each with an optional manager), groups served in pages of `pageSize`, and sponsors. */
class FakeDirectory implements ApproverDirectory {
  readonly groupPagesRead: string[] = [];

  constructor(
    private readonly managers: Record<string, string | null>,
    private readonly groups: Record<string, DirectoryObjectRef[]> = {},
    private readonly sponsors: Record<string, string[]> = {},
    private readonly pageSize = 2,
  ) {}

  async getUser(id: string): Promise<DirectoryUser | undefined> {
    return id in this.managers ? memberUser(id, { managerId: this.managers[id] ?? null }) : undefined;
  }

  async listGroupMembers(groupId: string, page?: string): Promise<DirectoryPage<DirectoryObjectRef>> {
    const members = this.groups[groupId];
    if (!members) throw new DirectoryError('notFound', `Group ${groupId} does not exist.`, { status: 404 });
    const start = Number(page ?? 0);
    this.groupPagesRead.push(`${groupId}@${start}`);
    const end = start + this.pageSize;
    return { items: members.slice(start, end), ...(end < members.length ? { nextPage: String(end) } : {}) };
  }

  async getUserSponsorIds(userId: string): Promise<string[]> {
    if (!(userId in this.managers)) throw new DirectoryError('notFound', `User ${userId} does not exist.`, { status: 404 });
    return this.sponsors[userId] ?? [];
  }
}


const single = (userId: string): SubjectSet => ({ '@odata.type': '#microsoft.graph.singleUser', userId, description: null });
const group = (groupId: string): SubjectSet => ({ '@odata.type': '#microsoft.graph.groupMembers', groupId, description: null });
const manager = (managerLevel: number): SubjectSet => ({ '@odata.type': '#microsoft.graph.requestorManager', managerLevel });
const targetSponsors: SubjectSet = { '@odata.type': '#microsoft.graph.targetUserSponsors' };
const internalSponsors: SubjectSet = { '@odata.type': '#microsoft.graph.internalSponsors' };
const externalSponsors: SubjectSet = { '@odata.type': '#microsoft.graph.externalSponsors' };
const users = (...ids: string[]): DirectoryObjectRef[] => ids.map((id) => ({ id, type: 'user' }));

function stage(approvers: Partial<Pick<ApprovalStage, 'primaryApprovers' | 'fallbackPrimaryApprovers' | 'escalationApprovers' | 'fallbackEscalationApprovers'>>): ApprovalStage {
  return {
    durationBeforeAutomaticDenial: 'P14D',
    durationBeforeEscalation: 'P2D',
    isApproverJustificationRequired: false,
    isEscalationEnabled: true,
    approverInformationVisibility: 'default',
    primaryApprovers: [],
    fallbackPrimaryApprovers: [],
    escalationApprovers: [],
    fallbackEscalationApprovers: [],
    ...approvers,
  };
}

/** Requestor and target are the same person, as in a userAdd, unless a test says otherwise. */
const SELF_REQUEST: ApproverContext = { requestorId: 'requestor', targetId: 'requestor' };
const PRIMARY = { escalation: false };
const ESCALATION = { escalation: true };

describe('resolving a stage’s approvers', () => {
  const directory = new FakeDirectory(
    { requestor: 'lead', lead: 'director', director: null, alice: null, bob: null, carol: null, target: null },
    { approvers: [...users('alice', 'requestor', 'bob', 'carol'), { id: 'nested-group', type: 'group' }, { id: 'device', type: 'other' }] },
    { target: ['carol', 'alice'] },
  );

  it('takes a single user', async () => {
    expect(await resolveApprovers(directory, stage({ primaryApprovers: [single('alice')] }), SELF_REQUEST, PRIMARY)).toEqual(['alice']);
  });

  it('takes a group’s user members across pages, without the requestor and without nested groups or devices', async () => {
    expect(await resolveApprovers(directory, stage({ primaryApprovers: [group('approvers')] }), SELF_REQUEST, PRIMARY)).toEqual(['alice', 'bob', 'carol']);
  });

  it.each([
    [1, ['lead']],
    [2, ['director']],
    [3, []],
  ])('walks %i manager level(s) up from the requestor to %j', async (managerLevel, expected) => {
    expect(await resolveApprovers(directory, stage({ primaryApprovers: [manager(managerLevel)] }), SELF_REQUEST, PRIMARY)).toEqual(expected);
  });

  it('takes the target’s sponsors, for a request made on someone’s behalf', async () => {
    const onBehalf = { requestorId: 'requestor', targetId: 'target' };
    expect(await resolveApprovers(directory, stage({ primaryApprovers: [targetSponsors] }), onBehalf, PRIMARY)).toEqual(['carol', 'alice']);
  });

  it('leaves out the target of a request made on their behalf, also when a group holds them', async () => {
    const onBehalf = { requestorId: 'lead', targetId: 'bob' };
    const resolved = await resolveApprovers(directory, stage({ primaryApprovers: [single('bob'), group('approvers')] }), onBehalf, PRIMARY);
    expect(resolved).toEqual(['alice', 'requestor', 'carol']);
  });

  it('takes connected-organization sponsors of the kind the policy names when they can be looked up', async () => {
    const withSponsors = { ...SELF_REQUEST, sponsorsOfConnectedOrganization: async (kind: 'internal' | 'external') => [{ id: kind === 'internal' ? 'alice' : 'bob', type: 'user' as const }] };
    expect(await resolveApprovers(directory, stage({ primaryApprovers: [externalSponsors, internalSponsors] }), withSponsors, PRIMARY)).toEqual(['bob', 'alice']);
  });

  it('takes the members of a sponsor group, without the requestor, and looks the sponsors up once for both lists', async () => {
    const lookups: string[] = [];
    const withGroupSponsor = {
      ...SELF_REQUEST,
      sponsorsOfConnectedOrganization: async (kind: 'internal' | 'external') => {
        lookups.push(kind);
        return kind === 'internal' ? [{ id: 'approvers', type: 'group' as const }, { id: 'lead', type: 'user' as const }] : [];
      },
    };
    const both = stage({ primaryApprovers: [externalSponsors], fallbackPrimaryApprovers: [internalSponsors, externalSponsors] });
    expect(await resolveApprovers(directory, both, withGroupSponsor, PRIMARY)).toEqual(['alice', 'bob', 'carol', 'lead']);
    expect(lookups).toEqual(['external', 'internal']);
  });

  it('falls back when the organization has no sponsor of the kind named', async () => {
    const none = { ...SELF_REQUEST, sponsorsOfConnectedOrganization: async () => [] };
    expect(await resolveApprovers(directory, stage({ primaryApprovers: [externalSponsors], fallbackPrimaryApprovers: [single('carol')] }), none, PRIMARY)).toEqual(['carol']);
  });

  it('resolves connected-organization sponsors to nobody without a way to look them up, and falls back', async () => {
    const fallback = stage({ primaryApprovers: [internalSponsors, externalSponsors], fallbackPrimaryApprovers: [single('carol')] });
    expect(await resolveApprovers(directory, fallback, SELF_REQUEST, PRIMARY)).toEqual(['carol']);
  });

  it('returns each approver once, in the order the policy names them', async () => {
    const overlapping = stage({ primaryApprovers: [single('carol'), group('approvers'), single('alice'), manager(1), single('lead')] });
    expect(await resolveApprovers(directory, overlapping, SELF_REQUEST, PRIMARY)).toEqual(['carol', 'alice', 'bob', 'lead']);
  });

  it('falls back when no primary approver resolves: a deleted user, a deleted group, a missing manager, only the requestor', async () => {
    const nobody = stage({
      primaryApprovers: [single('deleted-user'), group('deleted-group'), manager(3), single('requestor')],
      fallbackPrimaryApprovers: [single('bob'), single('alice')],
    });
    expect(await resolveApprovers(directory, nobody, SELF_REQUEST, PRIMARY)).toEqual(['bob', 'alice']);
  });

  it('does not use the fallback while a primary approver resolves', async () => {
    const both = stage({ primaryApprovers: [single('alice')], fallbackPrimaryApprovers: [single('bob')] });
    expect(await resolveApprovers(directory, both, SELF_REQUEST, PRIMARY)).toEqual(['alice']);
  });

  it('resolves to nobody when neither the approvers nor the fallback resolve', async () => {
    const nobody = stage({ primaryApprovers: [single('requestor')], fallbackPrimaryApprovers: [group('deleted-group')] });
    expect(await resolveApprovers(directory, nobody, SELF_REQUEST, PRIMARY)).toEqual([]);
  });

  it('takes the escalation approvers once escalated, and their fallback when they resolve to nobody', async () => {
    const escalating = stage({
      primaryApprovers: [single('alice')],
      escalationApprovers: [manager(2)],
      fallbackEscalationApprovers: [single('carol')],
    });
    expect(await resolveApprovers(directory, escalating, SELF_REQUEST, ESCALATION)).toEqual(['director']);

    const noEscalationApprover = { ...escalating, escalationApprovers: [single('deleted-user')] };
    expect(await resolveApprovers(directory, noEscalationApprover, SELF_REQUEST, ESCALATION)).toEqual(['carol']);
  });

  it('passes on a directory failure that is not a missing object', async () => {
    const unavailable: ApproverDirectory = {
      getUser: async () => undefined,
      getUserSponsorIds: async () => [],
      listGroupMembers: async () => Promise.reject(new DirectoryError('transient', 'Graph is throttling.', { status: 429 })),
    };
    await expect(resolveApprovers(unavailable, stage({ primaryApprovers: [group('approvers')] }), SELF_REQUEST, PRIMARY)).rejects.toMatchObject({ kind: 'transient' });
  });
});

describe('a stage that names a very large group', () => {
  it(`stops at ${MAX_APPROVERS_PER_STAGE} approvers and reads no page beyond them`, async () => {
    const members = users(...Array.from({ length: 2500 }, (_, i) => `member-${i}`));
    const large = new FakeDirectory({ requestor: null, extra: null }, { everyone: members }, {}, 300);

    const resolved = await resolveApprovers(large, stage({ primaryApprovers: [group('everyone'), single('extra')] }), SELF_REQUEST, PRIMARY);

    expect(resolved).toHaveLength(MAX_APPROVERS_PER_STAGE);
    expect(resolved[0]).toBe('member-0');
    expect(resolved).not.toContain('extra');
    expect(large.groupPagesRead).toEqual(['everyone@0', 'everyone@300']);
  });
});

describe('a stage that names the same approvers many times (a policy saved before the cap)', () => {
  /** Counts every directory read. */
  class CountingDirectory extends FakeDirectory {
    reads = 0;
    override async getUser(id: string) {
      this.reads += 1;
      return super.getUser(id);
    }
    override async getUserSponsorIds(userId: string) {
      this.reads += 1;
      return super.getUserSponsorIds(userId);
    }
  }
  const chain = { requestor: 'm1', m1: 'm2', m2: 'm3', m3: 'm4', m4: null, alice: null };

  it('walks the manager chain once for 2 × 500 requestorManager entries, primary and fallback', async () => {
    const directory = new CountingDirectory(chain);
    const managers = (levels: number[]) => Array.from({ length: 500 }, (_, i) => manager(levels[i % levels.length]!));
    // Levels 5 and 6 are above the top of the chain: the primary list resolves to nobody and the fallback is used.
    const repeated = stage({ primaryApprovers: managers([5, 6]), fallbackPrimaryApprovers: managers([1, 2, 3, 4]) });

    expect(await resolveApprovers(directory, repeated, SELF_REQUEST, PRIMARY)).toEqual(['m1', 'm2', 'm3', 'm4']);
    // requestor → m1 → m2 → m3 → m4 (who has no manager): five reads in all.
    expect(directory.reads).toBe(5);
  });

  it('reads a repeated user and the sponsors once, and resolves only the first distinct entries up to the cap', async () => {
    const directory = new CountingDirectory(chain, {}, { requestor: ['alice'] });
    const repeated = stage({ primaryApprovers: [...Array.from({ length: 300 }, () => single('alice')), ...Array.from({ length: 300 }, () => targetSponsors)] });

    expect(await resolveApprovers(directory, repeated, SELF_REQUEST, PRIMARY)).toEqual(['alice']);
    expect(directory.reads).toBe(2);

    const many = new CountingDirectory(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`user-${i}`, null])));
    const distinctUsers = stage({ primaryApprovers: Array.from({ length: 100 }, (_, i) => single(`user-${i}`)) });
    expect(await resolveApprovers(many, distinctUsers, SELF_REQUEST, PRIMARY)).toHaveLength(MAX_APPROVER_ENTRIES_PER_STAGE);
    expect(many.reads).toBe(MAX_APPROVER_ENTRIES_PER_STAGE);
  });
});

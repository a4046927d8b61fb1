import type { Assignment } from '../../shared/domain/assignments/assignment';
import { DomainError } from '../../shared/domain/errors';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import { GrantStore } from '../../shared/store/grantStore';
import type { Tables } from '../../shared/store/tables';
import { testTables } from '../support/testStorage';

const codeOf = (error: unknown) => (error instanceof DomainError ? error.code : error);
const TARGET = '00000000-0000-4000-8000-000000000001';
const PACKAGE = '00000000-0000-4000-8000-0000000000aa';

function request(id: string, overrides: Partial<AssignmentRequest> = {}): AssignmentRequest {
  return {
    id, requestType: 'userAdd', state: 'submitted', status: 'Accepted', createdDateTime: '2026-01-01T00:00:00.000Z', completedDateTime: null,
    justification: null, answers: [], schedule: { startDateTime: null, expiration: null }, accessPackageId: PACKAGE, assignmentPolicyId: 'p',
    catalogId: 'c', targetId: TARGET, assignmentId: null, requestorId: TARGET, approval: null, ...overrides,
  };
}

function assignment(id: string): Assignment {
  return {
    id, state: 'delivering', status: 'Delivering', accessPackageId: PACKAGE, assignmentPolicyId: 'p', catalogId: 'c', targetId: TARGET,
    schedule: { startDateTime: null, expiration: null }, expiredDateTime: null, createdDateTime: '2026-01-01T00:00:00.000Z', requestId: 'r1', createdById: TARGET, operations: [],
  };
}

describe('grant store (Azurite)', () => {
  let tables: Tables;
  let grants: GrantStore;
  const target = GrantStore.targetKey(TARGET);

  beforeAll(() => {
    tables = testTables();
    grants = new GrantStore(tables);
  });
  afterAll(() => tables.deleteAll());

  it('writes a request with its claim in one transaction; a second claim on the package fails whole', async () => {
    const claim = { packageId: PACKAGE, requestId: 'r1', assignmentId: null };
    await grants.indexRequest(request('r1'));
    await grants.together([grants.requests.insertion(target, GrantStore.requestKey('r1'), request('r1')), grants.claims.insertion(target, GrantStore.claimKey(PACKAGE), claim)]);
    const second = grants.together([
      grants.requests.insertion(target, GrantStore.requestKey('r2'), request('r2')),
      grants.claims.insertion(target, GrantStore.claimKey(PACKAGE), { ...claim, requestId: 'r2' }),
    ]);
    expect(codeOf(await second.catch((e: unknown) => e))).toBe('alreadyExists');
    // All or nothing: the second request was not written either.
    expect((await grants.requestsOf(TARGET)).map((r) => r.value.id)).toEqual(['r1']);
    expect((await grants.findRequest('r1'))?.value.id).toBe('r1');
  });

  it('refuses a transaction with a stale ETag, changing nothing', async () => {
    const stored = (await grants.findRequest('r1'))!;
    await grants.requests.replace(stored, { ...stored.value, state: 'pendingApproval' });
    const stale = grants.together([grants.requests.replacement(stored, { ...stored.value, state: 'canceled' }), grants.assignments.insertion(target, GrantStore.assignmentKey('a1'), assignment('a1'))]);
    expect(codeOf(await stale.catch((e: unknown) => e))).toBe('concurrencyConflict');
    expect((await grants.findRequest('r1'))?.value.state).toBe('pendingApproval');
    expect(await grants.assignmentsOf(TARGET)).toEqual([]);
  });

  it('finds assignments by id and by package, and forgets an ended one in the package index', async () => {
    await grants.indexAssignment(assignment('a1'));
    await grants.assignments.insert(target, GrantStore.assignmentKey('a1'), assignment('a1'));
    expect((await grants.findAssignment('a1'))?.value.id).toBe('a1');
    expect((await grants.assignmentsOfPackage(PACKAGE)).map((a) => a.value.id)).toEqual(['a1']);
    await grants.unindexAssignee(assignment('a1'));
    expect(await grants.assignmentsOfPackage(PACKAGE)).toEqual([]);
  });

  it("lists an approver's waiting requests and skips pointers to requests that are gone", async () => {
    await grants.indexApprovers(request('r1'), ['approver']);
    await grants.indexApprovers(request('gone'), ['approver']);
    expect((await grants.requestsAwaiting('approver')).map((r) => r.value.id)).toEqual(['r1']);
    await grants.unindexApprovers('r1', ['approver']);
    expect(await grants.requestsAwaiting('approver')).toEqual([]);
  });
});

import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import { automaticRequest } from '../../shared/operations/autoAssignment/automaticRequests';
import { standingPolicies } from '../../shared/operations/autoAssignment/standingPolicies';
import { rolesOfPackage } from '../../shared/operations/assignments/directoryRoles';
import { deleteAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { changingPackageConfiguration, packageConfigurationOf } from '../../shared/operations/entitlements/packageConfiguration';
import { retiring } from '../../shared/operations/entitlements/parentCheck';
import { policyStanding } from '../../shared/operations/requests/fulfilRequest';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { ADMIN, automaticPolicyMatchingNobody } from '../support/packageWorld';
import { countedOperationsForFile } from '../support/countedOperations';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';

/**
 * A bulk write's policies checked standing, with their packages' roles (standingPolicies.ts): past 16 policies from
 * four listings, answering for every request what the pipeline's reads by key answer (policyStanding and
 * rolesOfPackage): roles of a package granting a group, a policy being deleted, one deleted, one whose package's
 * configuration is kept, one named under another package. On Azurite, round trips counted by the benchmark's proxy.
 */
const GROUP = '509c2530-0367-4f48-a429-6461beddd096';
const USER = 'e0000000-0000-4000-8000-000000000001';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => {
  world = started;
  deps = started.deps;
});

let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started));

/** What an answer says: the roles, or the error's message. */
const outcome = (answer: Promise<unknown>) => answer.then((roles) => ({ roles }), (error: Error) => ({ error: error.message }));

test('past 16 policies, four listings answer for each request what the reads by key answer', async () => {
  const policies: AutomaticPolicy[] = [await automaticPolicyMatchingNobody(deps, 'Standing, a group', GROUP)];
  for (let n = 0; n < 18; n++) policies.push(await automaticPolicyMatchingNobody(deps, `Standing ${n}`));
  const [withGroup, deleted, kept, , ...others] = policies;
  await deleteAssignmentPolicy(deps, ADMIN, deleted!.policy.id);
  await packageConfigurationOf(deps, kept!.policy.accessPackageId);
  const requests = policies.map((auto) => automaticRequest(deps, auto, 'adminAdd', USER));
  // Named under another package than its own: not found there.
  requests.push({ ...requests[5]!, accessPackageId: withGroup!.policy.accessPackageId });
  const beingDeleted = policies[3]!.policy;

  // As deleteAssignmentPolicy holds it: the package's configuration taken away, the policy's deletion mark placed.
  await changingPackageConfiguration(deps, [beingDeleted.accessPackageId], () => retiring(deps, { kind: 'assignmentPolicy', id: beingDeleted.id }, async () => {
    // A fresh process makes its tables on first use: a first listing, not counted.
    await standingPolicies(counted, requests);
    proxy.reset();
    const rolesOf = await standingPolicies(counted, requests);
    const answers = await Promise.all(requests.map((request) => outcome(rolesOf(request))));
    // The listings, whatever the number of policies (a Table page holds 1,000 rows).
    expect(proxy.counts().roundTrips === 4 ? 'four listings' : JSON.stringify(proxy.routes())).toBe('four listings');
    const byKey = await Promise.all(requests.map((request) => outcome(policyStanding(deps, request).then(() => rolesOfPackage(deps, request.accessPackageId)))));
    expect(answers).toEqual(byKey);

    expect(answers[0]).toEqual({ roles: [expect.objectContaining({ originSystem: 'AadGroup', resourceOriginId: GROUP, roleOriginId: `Member_${GROUP}` })] });
    expect(answers[1]).toEqual({ error: expect.stringContaining('no longer exists') });
    expect(answers[2]).toEqual({ roles: [] });
    expect(answers[3]).toEqual({ error: expect.stringContaining('is being deleted') });
    expect(answers.slice(4, 4 + others.length)).toEqual(others.map(() => ({ roles: [] })));
    expect(answers[requests.length - 1]).toEqual({ error: expect.stringContaining('no longer exists') });
  }));
}, 180_000);

import { roleKey } from '../../shared/domain/assignments/deliveryState';
import type { DirectoryPort, GroupMembershipRound } from '../../shared/directory/directoryPort';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, groupMembers, groupPackage } from '../support/packageWorld';

/**
 * Drift repair of group roles through the Graph groups delta, in-process on Azurite and the Graph emulator: a run
 * compares only the members that changed since the last, a set of groups is compared in full when new, once a day
 * and after its delta token expired, and the ledger still decides who may be removed.
 */
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const VPN_USERS = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';
const PEOPLE = ['a30354ef-398b-4edf-a326-3c49440a9a11', 'a22fa1f7-2560-4b2f-8a7c-e6e5f89c8d33', '5043796d-4061-4823-9b39-320448410fe3', 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3'] as const;

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ emulator, deps } = world = started));

/** The directory, recording each groups delta call: a first round (`groupIds`) or the round after a link. */
function watched(over: EntitlementDeps = deps): { deps: EntitlementDeps; rounds: Array<'full' | 'delta'>; lines: number[] } {
  const rounds: Array<'full' | 'delta'> = [];
  const lines: number[] = [];
  const directory = new Proxy(over.directory, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (property !== 'groupMembershipChanges') return typeof value === 'function' ? value.bind(target) : value;
      return async (from: Parameters<DirectoryPort['groupMembershipChanges']>[0]): Promise<GroupMembershipRound> => {
        rounds.push('groupIds' in from ? 'full' : 'delta');
        const round = await target.groupMembershipChanges(from);
        lines.push(round.lines.length);
        return round;
      };
    },
  });
  return { deps: { ...over, directory }, rounds, lines };
}

const sweep = (holder: string, over: EntitlementDeps = deps) => reconcile(over, { holder, budgetMs: 60_000 });
const byHand = (method: 'POST' | 'DELETE', groupId: string, userId: string) =>
  fetch(method === 'POST' ? `${emulator.url}/v1.0/groups/${groupId}/members/$ref` : `${emulator.url}/v1.0/groups/${groupId}/members/${userId}/$ref`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'POST' ? JSON.stringify({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${userId}` }) : undefined,
  });

describe('reconcileSweep following the groups delta', () => {
  it('compares a new set of groups in full, then only what changed: an assignee taken out by hand is put back, a walk-in stays', async () => {
    const pkg = await groupPackage(deps, 'Delta marketing', MARKETING);
    await assign(deps, PEOPLE[0], pkg);
    world.advance({ minutes: 6 });
    const first = watched();
    expect(await sweep('first', first.deps)).toMatchObject({ rolesFailed: 0, added: 0, removed: 0 });
    expect(first.rounds[0]).toBe('full');

    expect((await byHand('DELETE', MARKETING, PEOPLE[0])).status).toBe(204);
    expect((await byHand('POST', MARKETING, PEOPLE[3])).status).toBe(204);
    const second = watched();
    const run = await sweep('second', second.deps);

    expect(run).toMatchObject({ added: 1, removed: 0, rolesFailed: 0 });
    // The changes since the first run (two lines), then the run's own addition, read back and known.
    expect(second.rounds).toEqual(['delta', 'delta']);
    expect(second.lines).toEqual([2, 1]);
    const members = await groupMembers(emulator, MARKETING);
    expect(members).toContain(PEOPLE[0]);
    expect(members).toContain(PEOPLE[3]);
    expect(await deps.ledger.holders(roleKey(directoryRoleOf(pkg.roleScope)))).toEqual(new Set([PEOPLE[0]]));
  });

  it('reads one delta round per set and changes nothing when nothing changed', async () => {
    await sweep('settle');
    const quiet = watched();
    const run = await sweep('quiet', quiet.deps);

    expect(run).toMatchObject({ added: 0, removed: 0, rolesFailed: 0, rolesRemaining: 0 });
    expect(quiet.rounds).toEqual(['delta']);
    expect(quiet.lines).toEqual([0]);
  });

  it('removes a member the ledger records and no assignment gives only at the daily full comparison, which the delta cannot see', async () => {
    const pkg = await groupPackage(deps, 'Delta VPN', VPN_USERS);
    await assign(deps, PEOPLE[1], pkg);
    expect((await byHand('POST', VPN_USERS, PEOPLE[2])).status).toBe(204);
    world.advance({ minutes: 6 });
    await sweep('new set');
    expect(await groupMembers(emulator, VPN_USERS)).toContain(PEOPLE[2]);
    // Drift in the store only: the ledger says Portcullis granted the walk-in (no assignment gives it).
    await deps.ledger.record(directoryRoleOf(pkg.roleScope), [PEOPLE[2]]);

    const sameDay = watched();
    expect(await sweep('same day', sameDay.deps)).toMatchObject({ removed: 0 });
    expect(sameDay.rounds.every((r) => r === 'delta')).toBe(true);
    expect(await groupMembers(emulator, VPN_USERS)).toContain(PEOPLE[2]);

    world.advance({ days: 1, minutes: 1 });
    const nextDay = watched();
    expect(await sweep('next day', nextDay.deps)).toMatchObject({ removed: 1, rolesFailed: 0 });
    expect(nextDay.rounds).toContain('full');
    const members = await groupMembers(emulator, VPN_USERS);
    expect(members).not.toContain(PEOPLE[2]);
    expect(members).toContain(PEOPLE[1]);
  });

  it('compares in full after the delta token expired, and with RECONCILE_REMOVES_UNGRANTED removes a walk-in the delta shows', async () => {
    const pkg = await groupPackage(deps, 'Delta legal hold', LEGAL_HOLD);
    await assign(deps, PEOPLE[1], pkg);
    world.advance({ minutes: 6 });
    await sweep('new set');
    expect((await fetch(`${emulator.url}/_emulator/deltaTokens`, { method: 'DELETE' })).status).toBe(204);
    const expired = watched();
    expect(await sweep('expired', expired.deps)).toMatchObject({ rolesFailed: 0, added: 0, removed: 0 });
    expect(expired.rounds.filter((r) => r === 'full')).toHaveLength(1);

    expect((await byHand('POST', LEGAL_HOLD, PEOPLE[3])).status).toBe(204);
    const strict = watched({ ...deps, reconcileRemovesUngranted: true });
    const run = await sweep('strict', strict.deps);

    expect(run).toMatchObject({ removed: 1, rolesFailed: 0 });
    expect(strict.rounds.every((r) => r === 'delta')).toBe(true);
    const members = await groupMembers(emulator, LEGAL_HOLD);
    expect(members).not.toContain(PEOPLE[3]);
    expect(members).toContain(PEOPLE[1]);
  });
});

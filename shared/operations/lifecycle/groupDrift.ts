import { createHash } from 'node:crypto';
import { DateTime, Duration } from 'luxon';
import type { DirectoryRole } from '../../domain/assignments/assignment';
import { DirectoryError } from '../../directory/directoryError';
import { isValidId } from '../../directory/directoryIds';
import type { GroupMembershipLine, GroupMembershipRound, GroupRelationship } from '../../directory/directoryPort';
import type { StoredDocument } from '../../store/documentTable';
import type { LedgerEntry } from '../../store/grantLedger';
import type { GroupDeltaLink } from '../../store/groupDeltaLinks';
import { isGroupOwnerRole } from '../assignments/directoryRoles';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { compareHolders, forgetGoneRole, type HolderRepair } from './driftRepair';
import { SweepLeaseLost, type HeldLease } from './sweepLease';

export interface RoleInUse {
  key: string;
  role: DirectoryRole;
  /** The packages granting the role (none: a role only the ledger remembers, whose holders all lose it). */
  packageIds: Set<string>;
}

export interface DriftCounts {
  rolesChecked: number;
  added: number;
  removed: number;
  rolesRemaining: number;
  rolesFailed: number;
  errors: string[];
}

/** A set of governed groups is compared in full at least this often, whatever its delta says. */
export const FULL_COMPARISON_EVERY = Duration.fromObject({ days: 1 });
/** Graph's groups delta filters to at most 50 groups: one set, one delta query. */
const GROUPS_PER_SET = 50;
/** Rounds read right after a repair, to take the repair's own changes off the next pass's hands. */
const FOLLOW_UP_ROUNDS = 3;

export interface GroupSet {
  /** A digest of the set's role keys: a role added to or gone from its groups makes it a new set, compared in full. */
  key: string;
  groupIds: string[];
  roles: RoleInUse[];
}

/** What drift repair set in the directory, by `group|relationship|user`: true when it made them a holder. */
type OwnChanges = Map<string, boolean>;

/** A comparison's changes, and whether the directory refused any of them. */
interface Compared {
  own: OwnChanges;
  refused: boolean;
}

/**
 * Follows the governed groups' members and owners with the Graph groups delta, 50 groups to a query, each set's
 * deltaLink kept in Table Storage. A set is compared in full (a first delta round, which lists every member, against
 * the ledger and every assignment) when it is new, when its link expired (410), and once a day; otherwise only the
 * members that changed since its last round are compared, so a pass without drift costs a delta query per set.
 * Drift the directory does not show: a change delivery gave up on flags its holder in the ledger, and the set is
 * compared in full on the next run; anything else (a ledger row left behind) waits for the daily full comparison.
 */
export async function followGroupRoles(deps: EntitlementDeps, roles: readonly RoleInUse[], deadline: number, lease: HeldLease, counts: DriftCounts): Promise<void> {
  const sets = await governedGroupSets(deps, roles, lease, counts);
  const links = await deps.groupDeltaLinks.all();
  const flags = await deps.ledger.flagged();
  for (const [index, set] of sets.entries()) {
    if (Date.now() > deadline) {
      // The sets not reached keep their links: the next run follows them from there.
      counts.rolesRemaining += sets.slice(index).reduce((n, s) => n + s.roles.length, 0);
      break;
    }
    await followGroupSet(deps, set, links.get(set.key)?.value, flags, lease, counts);
  }
  await forgetLinksOfGoneSets(deps, links, sets, lease);
}

/**
 * The sets of the governed groups' roles, 50 groups each; a role whose group id cannot be a group's is taken as
 * gone (groupGone) here.
 */
export async function governedGroupSets(deps: EntitlementDeps, roles: readonly RoleInUse[], lease: HeldLease, counts: DriftCounts): Promise<GroupSet[]> {
  for (const role of roles.filter((r) => !isValidId('objectId', r.role.resourceOriginId))) await groupGone(deps, role, lease, counts);
  return groupSets(roles.filter((r) => isValidId('objectId', r.role.resourceOriginId)));
}

/**
 * Follows one set (followSet), clearing its roles' flags once a full comparison settled it. A set that cannot be
 * followed (the directory away) is counted as failed; its link stays as it was, so the next run takes it up.
 */
export async function followGroupSet(
  deps: EntitlementDeps,
  set: GroupSet,
  link: GroupDeltaLink | undefined,
  flags: ReadonlyArray<StoredDocument<LedgerEntry>>,
  lease: HeldLease,
  counts: DriftCounts,
): Promise<void> {
  try {
    const keys = new Set(set.roles.map((r) => r.key));
    const setFlags = flags.filter((f) => keys.has(f.value.roleKey));
    if (await followSet(deps, set, link, setFlags.length > 0, lease, counts)) await deps.ledger.unflag(setFlags);
  } catch (error) {
    if (error instanceof SweepLeaseLost) throw error;
    counts.rolesFailed += set.roles.length;
    if (counts.errors.length < 5) counts.errors.push(`groups ${set.groupIds.join(', ')}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The links of sets no longer governed (a group's roles gone from every package, a set cut differently) go. */
export async function forgetLinksOfGoneSets(deps: EntitlementDeps, links: ReadonlyMap<string, StoredDocument<GroupDeltaLink>>, sets: readonly GroupSet[], lease: HeldLease): Promise<void> {
  const current = new Set(sets.map((s) => s.key));
  const stale = [...links.entries()].filter(([key]) => !current.has(key));
  if (stale.length > 0) await lease.hold();
  for (const [, link] of stale) await deps.groupDeltaLinks.forget(link);
}

/** Follows one set's delta, or compares it in full when that is due (or `flagged`); answers whether a full comparison settled it. */
async function followSet(deps: EntitlementDeps, set: GroupSet, stored: GroupDeltaLink | undefined, flagged: boolean, lease: HeldLease, counts: DriftCounts): Promise<boolean> {
  const now = deps.clock.now();
  const fullDue = flagged || !stored || now.diff(DateTime.fromISO(stored.fullComparedAt, { zone: 'utc' })) >= FULL_COMPARISON_EVERY;
  let round = fullDue ? undefined : await changesAfter(deps, stored.deltaLink);
  let fullComparedAt = stored?.fullComparedAt ?? now.toISO()!;
  let compared: Compared;
  const inFull = !round;
  if (round) compared = await compareChanged(deps, set, round.lines, lease, counts);
  else {
    // The first round is read before the store, as a listing would be: what changes after it is in the next round.
    round = await deps.directory.groupMembershipChanges({ groupIds: set.groupIds });
    compared = await compareInFull(deps, set, round, lease, counts);
    fullComparedAt = now.toISO()!;
  }
  // A flag is cleared only by a full comparison the directory took every change of.
  const settled = inFull && !compared.refused;
  for (let n = 0; compared.own.size > 0 && n < FOLLOW_UP_ROUNDS; n++) {
    const { own } = compared;
    const next = await deps.directory.groupMembershipChanges({ deltaLink: round.deltaLink });
    // A line that shows the state the repair left is the repair's own (or ends where it did); others are compared.
    const others = next.lines.filter((line) => own.get(lineKey(line.groupId, line.relationship, line.member.id)) !== !line.removed);
    round = next;
    compared = others.length > 0 ? await compareChanged(deps, set, others, lease, counts) : { own: new Map(), refused: false };
  }
  counts.rolesChecked += set.roles.length;
  await lease.hold();
  await deps.groupDeltaLinks.save(set.key, { groupIds: set.groupIds, roleKeys: set.roles.map((r) => r.key), deltaLink: round.deltaLink, fullComparedAt });
  return settled;
}

/** The round after a link; undefined when the link expired (the set is then compared in full). */
async function changesAfter(deps: EntitlementDeps, deltaLink: string): Promise<GroupMembershipRound | undefined> {
  try {
    return await deps.directory.groupMembershipChanges({ deltaLink });
  } catch (error) {
    if (error instanceof DirectoryError && error.kind === 'resyncRequired') return undefined;
    throw error;
  }
}

/** Every role of the set against the whole membership a first round lists. */
async function compareInFull(deps: EntitlementDeps, set: GroupSet, round: GroupMembershipRound, lease: HeldLease, counts: DriftCounts): Promise<Compared> {
  const listed = new Set(round.groupIds);
  const holders = new Map<string, Set<string>>();
  for (const line of round.lines) {
    if (line.removed || line.member.type !== 'user') continue;
    const key = lineKey(line.groupId, line.relationship);
    holders.set(key, (holders.get(key) ?? new Set()).add(line.member.id.toLowerCase()));
  }
  const compared: Compared = { own: new Map(), refused: false };
  for (const role of set.roles) {
    const { groupId, relationship } = placeOf(role.role);
    if (!listed.has(groupId)) {
      await groupGone(deps, role, lease, counts);
      continue;
    }
    remember(compared, groupId, relationship, add(counts, await compareHolders(deps, role.role, role.packageIds, holders.get(lineKey(groupId, relationship)) ?? new Set(), lease)));
  }
  return compared;
}

/** Only the members a round reports changed, each in the state the round last shows. */
async function compareChanged(deps: EntitlementDeps, set: GroupSet, lines: readonly GroupMembershipLine[], lease: HeldLease, counts: DriftCounts): Promise<Compared> {
  const changed = new Map<string, Map<string, boolean>>();
  for (const line of lines) {
    // People only (a removal's type may be unknown): groups and applications in a group are no one's assignment.
    if (line.member.type !== 'user' && line.member.type !== 'other') continue;
    const key = lineKey(line.groupId, line.relationship);
    changed.set(key, (changed.get(key) ?? new Map()).set(line.member.id.toLowerCase(), !line.removed));
  }
  const compared: Compared = { own: new Map(), refused: false };
  for (const role of set.roles) {
    const { groupId, relationship } = placeOf(role.role);
    const users = changed.get(lineKey(groupId, relationship));
    if (!users) continue;
    const actual = new Set([...users].filter(([, holds]) => holds).map(([id]) => id));
    remember(compared, groupId, relationship, add(counts, await compareHolders(deps, role.role, role.packageIds, actual, lease, new Set(users.keys()))));
  }
  return compared;
}

/** A governed group the directory no longer has: a role no package grants is forgotten; otherwise it cannot be compared. */
async function groupGone(deps: EntitlementDeps, role: RoleInUse, lease: HeldLease, counts: DriftCounts): Promise<void> {
  if (role.packageIds.size === 0) {
    await lease.hold();
    await forgetGoneRole(deps, role.role, lease);
    return;
  }
  counts.rolesFailed++;
  if (counts.errors.length < 5) counts.errors.push(`${role.key}: the group ${role.role.resourceOriginId} does not exist.`);
}

/** Sets of up to 50 groups, in group id order, each with the roles of its groups. */
export function groupSets(roles: readonly RoleInUse[]): GroupSet[] {
  const byGroup = new Map<string, RoleInUse[]>();
  for (const role of roles) {
    const groupId = role.role.resourceOriginId.toLowerCase();
    byGroup.set(groupId, [...(byGroup.get(groupId) ?? []), role]);
  }
  const groupIds = [...byGroup.keys()].sort();
  const sets: GroupSet[] = [];
  for (let i = 0; i < groupIds.length; i += GROUPS_PER_SET) {
    const ids = groupIds.slice(i, i + GROUPS_PER_SET);
    const setRoles = ids.flatMap((id) => byGroup.get(id)!);
    const key = createHash('sha256').update(setRoles.map((r) => r.key).sort().join('\n')).digest('hex').slice(0, 40);
    sets.push({ key, groupIds: ids, roles: setRoles });
  }
  return sets;
}

const placeOf = (role: DirectoryRole): { groupId: string; relationship: GroupRelationship } => ({
  groupId: role.resourceOriginId.toLowerCase(),
  relationship: isGroupOwnerRole(role) ? 'owners' : 'members',
});

const lineKey = (groupId: string, relationship: GroupRelationship, userId?: string) => `${groupId}|${relationship}${userId === undefined ? '' : `|${userId.toLowerCase()}`}`;

function add(counts: DriftCounts, repair: HolderRepair): HolderRepair {
  counts.added += repair.added;
  counts.removed += repair.removed;
  return repair;
}

function remember(compared: Compared, groupId: string, relationship: GroupRelationship, repair: HolderRepair): void {
  for (const [userId, holds] of repair.set) compared.own.set(lineKey(groupId, relationship, userId), holds);
  if (repair.failed > 0) compared.refused = true;
}

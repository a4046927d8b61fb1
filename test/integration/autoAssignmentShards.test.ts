import type { ChangedUser } from '../../shared/directory/directoryPort';
import { cutIntoShards, noCounts } from '../../shared/operations/autoAssignment/autoAssignmentFanOut';
import { storageSnapshot } from '../support/storageSnapshot';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';

/**
 * A fanned-out full evaluation's shards hold a few thousand users: more than a table row holds, so a shard's users
 * are kept in several rows, written and dropped with the shard in one transaction (autoAssignmentShards.ts), and a
 * shard is closed before that transaction passes Table Storage's 4 MiB (autoAssignmentFanOut.ts cutIntoShards).
 */
let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started));

/** A user of about `characters` characters as JSON (their proxy addresses), id in order. */
function largeUser(n: number, characters: number): ChangedUser {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    id,
    displayName: `User ${n}`,
    userPrincipalName: `user${n}@contoso.com`,
    mail: null,
    userType: 'Member',
    accountEnabled: true,
    department: 'Sales',
    jobTitle: null,
    companyName: null,
    employeeId: null,
    employeeType: null,
    officeLocation: null,
    city: null,
    state: null,
    country: null,
    usageLocation: null,
    employeeHireDate: null,
    onPremisesExtensionAttributes: {},
    otherMails: [],
    proxyAddresses: Array.from({ length: Math.ceil(characters / 40) }, (_, i) => `smtp:user${n}.alias${String(i).padStart(6, '0')}@contoso.com`),
    creationType: null,
    externalUserState: null,
    managerId: null,
  };
}

it('cuts a shard whose users outgrow a row into rows, and closes it before its transaction outgrows Table Storage', async () => {
  // 40 users of about 100,000 characters (103,000 bytes escaped): four to a row, 34 to a shard's 3.25 MiB.
  const users = Array.from({ length: 40 }, (_, n) => largeUser(n, 100_000));
  const shards = cutIntoShards([], users, 39);
  expect(shards.map((s) => s.userRows.map((row) => row.length))).toEqual([[4, 4, 4, 4, 4, 4, 4, 4, 2], [4, 2]]);
  expect(shards.map((s) => s.shard.userRows)).toEqual([9, 2]);
  // The ranges meet: the second starts after the first's last user.
  expect(shards[1]!.shard.after).toBe(users[33]!.id);
  expect(shards[0]!.shard.upTo).toBe(users[33]!.id);

  const before = await storageSnapshot(world.prefix);
  await world.deps.autoAssignmentShards.replaceAll(shards);
  const stored = await world.deps.autoAssignmentShards.all();
  expect(stored.map((d) => d.value.userRows)).toEqual([9, 2]);
  expect(await world.deps.autoAssignmentShards.usersOf(stored[0]!.value)).toEqual(users.slice(0, 34));
  expect(await world.deps.autoAssignmentShards.usersOf(stored[1]!.value)).toEqual(users.slice(34));

  // Done, the shard's users are dropped from every row, with the mark.
  await world.deps.autoAssignmentShards.markDone(stored[0]!, { counts: noCounts(), unfinishedUserIds: [] });
  const done = (await world.deps.autoAssignmentShards.get(stored[0]!.value.run, 0))!;
  expect(done.value.done).toBeDefined();
  expect(await world.deps.autoAssignmentShards.usersOf(done.value)).toEqual([]);

  // Removed, no row of theirs is left.
  await world.deps.autoAssignmentShards.removeAll(await world.deps.autoAssignmentShards.all());
  expect(await storageSnapshot(world.prefix)).toEqual(before);
}, 120_000);

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
  // 70 users of about 100,000 characters (103,000 bytes escaped), two shards' share of 35 each: four to a row, and a
  // shard closed at 33 or 34 users, what a transaction of 3.25 MiB holds; the rest in a third.
  const users = Array.from({ length: 70 }, (_, n) => largeUser(n, 100_000));
  const shards = cutIntoShards([], users, 69);
  expect(shards.map((s) => s.userRows.flat().length)).toEqual([34, 33, 3]);
  expect(shards[0]!.userRows.map((row) => row.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 2]);
  expect(shards.map((s) => s.shard.userRows)).toEqual(shards.map((s) => s.userRows.length));
  for (const { userRows } of shards) {
    for (const row of userRows) expect(JSON.stringify(row).length).toBeLessThanOrEqual(400_000);
    expect(userRows.flat().reduce((bytes, user) => bytes + Buffer.byteLength(JSON.stringify(JSON.stringify(user))), 0)).toBeLessThanOrEqual(3.25 * 1024 * 1024);
  }
  // Every user once, in order; the ranges meet: each starts after the one before's last user.
  expect(shards.flatMap((s) => s.userRows.flat())).toEqual(users);
  expect(shards.map((s) => [s.shard.after, s.shard.upTo])).toEqual([
    [null, users[33]!.id],
    [users[33]!.id, users[66]!.id],
    [users[66]!.id, null],
  ]);

  const before = await storageSnapshot(world.prefix);
  await world.deps.autoAssignmentShards.replaceAll(shards);
  const stored = await world.deps.autoAssignmentShards.all();
  expect(stored.map((d) => d.value.userRows)).toEqual(shards.map((s) => s.userRows.length));
  expect(await world.deps.autoAssignmentShards.usersOf(stored[0]!.value)).toEqual(users.slice(0, 34));
  expect(await world.deps.autoAssignmentShards.usersOf(stored[1]!.value)).toEqual(users.slice(34, 67));
  expect(await world.deps.autoAssignmentShards.usersOf(stored[2]!.value)).toEqual(users.slice(67));

  // Done, the shard's users are dropped from every row, with the mark.
  await world.deps.autoAssignmentShards.markDone(stored[0]!, { counts: noCounts(), unfinishedUserIds: [] });
  const done = (await world.deps.autoAssignmentShards.get(stored[0]!.value.run, 0))!;
  expect(done.value.done).toBeDefined();
  expect(await world.deps.autoAssignmentShards.usersOf(done.value)).toEqual([]);

  // Removed, no row of theirs is left.
  await world.deps.autoAssignmentShards.removeAll(await world.deps.autoAssignmentShards.all());
  expect(await storageSnapshot(world.prefix)).toEqual(before);
}, 120_000);

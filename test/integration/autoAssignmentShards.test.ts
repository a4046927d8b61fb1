import { TableClient } from '@azure/data-tables';
import type { ChangedUser } from '../../shared/directory/directoryPort';
import { cutIntoShards, noCounts } from '../../shared/operations/autoAssignment/autoAssignmentFanOut';
import { planChanges } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import { DocumentTable } from '../../shared/store/documentTable';
import { tableKey } from '../../shared/store/tableKeys';
import { compileRule } from '../../shared/domain/rules';
import { toChangedUser } from '../../shared/directory/graphUser';
import { DateTime } from 'luxon';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { memberUser } from '../support/directoryUsers';

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
  return memberUser(id, {
    displayName: `User ${n}`,
    userPrincipalName: `user${n}@contoso.com`,
    department: 'Sales',
    proxyAddresses: Array.from({ length: Math.ceil(characters / 40) }, (_, i) => `smtp:user${n}.alias${String(i).padStart(6, '0')}@contoso.com`),
  });
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

it("reads a shard written by the version that kept its users in one bare row, and leaves that version nothing it could misread", async () => {
  const users = Array.from({ length: 6 }, (_, n) => largeUser(100 + n, 1_000));
  const rows = new DocumentTable<object>(async () => TableClient.fromConnectionString(testStorageConnectionString(), `${world.prefix}sweepStates`, { allowInsecureConnection: true }), 'shard row');
  const [partition, usersKey] = [tableKey('autoAssignmentShards'), (run: string) => tableKey('users', run, '000000')];

  // Written by this version: the previous one read the first row's value as the shard's users (or none when absent).
  // It is no list, so that version's evaluation fails (the shard is sent again) instead of taking it for the whole
  // range's users and removing the others' assignments as if they were deleted.
  const shards = cutIntoShards([], users, 3);
  await world.deps.autoAssignmentShards.replaceAll(shards);
  const first = (await rows.get(partition, usersKey(shards[0]!.shard.run)))!.value;
  expect(Array.isArray(first)).toBe(false);
  await expect(planChanges(world.deps, [], first as unknown as ChangedUser[], { after: null, upTo: shards[0]!.shard.upTo })).rejects.toThrow(TypeError);

  // Written by the previous version: the shard without `userRows`, its users a bare list under the first key.
  await rows.together([
    rows.upsertion(partition, tableKey('shard', 'earlier', '000000'), { run: 'earlier', index: 0, policyIds: [], after: null, upTo: null }),
    rows.upsertion(partition, usersKey('earlier'), users),
  ]);
  const earlier = (await world.deps.autoAssignmentShards.get('earlier', 0))!;
  expect(earlier.value.userRows).toBeUndefined();
  expect(await world.deps.autoAssignmentShards.usersOf(earlier.value)).toEqual(users);
}, 60_000);

it('refuses to answer part of a shard: a row of its users missing fails the read, so no user is taken for deleted', async () => {
  const users = Array.from({ length: 24 }, (_, n) => largeUser(200 + n, 100_000));
  const [shard] = cutIntoShards([], users, 12);
  expect(shard!.userRows.length).toBeGreaterThan(1);
  await world.deps.autoAssignmentShards.replaceAll([shard!]);
  const [stored] = await world.deps.autoAssignmentShards.all();
  expect(await world.deps.autoAssignmentShards.usersOf(stored!.value)).toEqual(users.slice(0, 12));

  // Its last row of users lost (deleted by hand, or by anything else): the shard's users can no longer be told whole.
  const table = TableClient.fromConnectionString(testStorageConnectionString(), `${world.prefix}sweepStates`, { allowInsecureConnection: true });
  const userRows: Array<{ partitionKey: string; rowKey: string }> = [];
  for await (const row of table.listEntities<object>()) if (row.rowKey!.startsWith('users')) userRows.push({ partitionKey: row.partitionKey!, rowKey: row.rowKey! });
  const last = userRows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1)).at(-1)!;
  await table.deleteEntity(last.partitionKey, last.rowKey);

  await expect(world.deps.autoAssignmentShards.usersOf(stored!.value)).rejects.toThrow(/rows of users/);
  await world.deps.autoAssignmentShards.removeAll(await world.deps.autoAssignmentShards.all()).catch(() => undefined);
}, 120_000);

it("keeps a user's null properties out of the shard's rows, reads them back null, and an absent one reads as null to a rule", async () => {
  // Users as a first run's delta gives them: only the properties the rules read selected, the others null.
  const users: ChangedUser[] = Array.from({ length: 6 }, (_, n) => ({
    ...largeUser(300 + n, 0),
    displayName: null,
    userPrincipalName: null,
    userType: null,
    accountEnabled: null,
    department: n % 2 === 0 ? 'Sales' : null,
    employeeHireDate: n % 3 === 0 ? '2020-01-0' + (n + 1) : null,
    ...(n === 1 ? { createdDateTime: null, employeeLeaveDateTime: '2030-01-01T00:00:00Z' } : {}),
    managerId: n === 2 ? '00000000-0000-4000-8000-00000000beef' : null,
  }));
  // What the tests before left (a shard missing a row cannot be removed through the store).
  const table = TableClient.fromConnectionString(testStorageConnectionString(), `${world.prefix}sweepStates`, { allowInsecureConnection: true });
  for await (const row of table.listEntities<object>()) await table.deleteEntity(row.partitionKey!, row.rowKey!);
  const shards = cutIntoShards([], users, 3);
  await world.deps.autoAssignmentShards.replaceAll(shards);
  const rows = new DocumentTable<{ users: Array<Record<string, unknown>> }>(async () => table, 'shard row');
  const kept = (await rows.get(tableKey('autoAssignmentShards'), tableKey('users', shards[0]!.shard.run, '000000')))!.value.users;
  // Stored: no null but those the reader could not tell from absent ones (the manager: absent means not reported).
  expect(kept.flatMap((user) => Object.entries(user).filter(([name, value]) => value === null && name !== 'managerId' && name !== 'createdDateTime'))).toEqual([]);
  expect(JSON.stringify(kept).length).toBeLessThan(JSON.stringify(users.slice(0, 3)).length * 0.6);

  // Read back exactly as written, nulls and absent optional properties alike.
  const stored = await world.deps.autoAssignmentShards.all();
  expect(await world.deps.autoAssignmentShards.usersOf(stored[0]!.value)).toStrictEqual(users.slice(0, 3));
  expect(await world.deps.autoAssignmentShards.usersOf(stored[1]!.value)).toStrictEqual(users.slice(3));

  // Users as the directory port builds them come back with their properties in its order (one shape for rules to read).
  const ported = [0, 1].map((n) => ({ ...toChangedUser({ id: `00000000-0000-4000-8000-${String(400 + n).padStart(12, '0')}`, department: n === 0 ? 'Sales' : null }), managerId: null }));
  await world.deps.autoAssignmentShards.replaceAll(cutIntoShards([], ported, 1));
  const [back] = await world.deps.autoAssignmentShards.all();
  expect((await world.deps.autoAssignmentShards.usersOf(back!.value)).map((user) => Object.keys(user))).toEqual([Object.keys(ported[0]!)]);

  // A version that reads the rows without putting the nulls back evaluates them the same.
  const now = DateTime.utc();
  for (const text of ['(user.department -eq null)', '(user.department -ne null)', '(user.accountEnabled -eq null)', '(user.employeeHireDate -eq null)', '(user.displayName -notContains "x")']) {
    const rule = compileRule(text);
    expect([text, kept.map((user) => rule.matches(user as unknown as ChangedUser, { now }))]).toEqual([text, users.slice(0, 3).map((user) => rule.matches(user, { now }))]);
  }
  await world.deps.autoAssignmentShards.removeAll(await world.deps.autoAssignmentShards.all());
}, 60_000);

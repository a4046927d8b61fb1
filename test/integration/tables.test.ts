import { TableClient } from '@azure/data-tables';
import { DomainError } from '../../shared/domain/errors';
import { filter } from '../../shared/store/odataFilter';
import { queryAll, queryPage } from '../../shared/store/pagedQuery';
import { tableKey } from '../../shared/store/tableKeys';
import { deleteEntity, findEntity, insertEntity, replaceEntity, Tables } from '../../shared/store/tables';
import { testStorageConnectionString, testTables } from '../support/testStorage';

interface Note {
  text: string;
}

const codeOf = (error: unknown) => (error instanceof DomainError ? error.code : error);

describe('Table Storage basics (Azurite)', () => {
  let tables: Tables;
  let notes: TableClient;

  beforeAll(async () => {
    tables = testTables();
    notes = await tables.get('notes');
  });
  afterAll(() => tables.deleteAll());

  const tableNames = async () => {
    const names: string[] = [];
    for await (const table of tables.service().listTables()) names.push(table.name ?? '');
    return names;
  };

  it('creates a table on first use, not before, and hands out the same client after', async () => {
    const before = await tableNames();
    expect(before.some((name) => name.endsWith('lazy'))).toBe(false);
    const first = await tables.get('lazy');
    expect((await tableNames()).filter((name) => name.endsWith('lazy'))).toHaveLength(1);
    expect(await tables.get('lazy')).toBe(first);
    await expect(insertEntity(first, { partitionKey: tableKey('p'), rowKey: tableKey('r') }, 'row')).resolves.toEqual(expect.any(String));
  });

  it('does not mistake a missing table for a missing entity', async () => {
    const missing = TableClient.fromConnectionString(testStorageConnectionString(), 'tNoSuchTable', { allowInsecureConnection: true });
    const error = await findEntity(missing, tableKey('p'), tableKey('r'), 'row').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ statusCode: 404, details: { errorCode: 'TableNotFound' } });
  });

  it('stores and reads back entities under hostile keys', async () => {
    const hostile = ["a/b\\c#d?e", 'tab\tnl\n\u0000', "quote' or RowKey ne '", '%2F|pipe', 'lone \ud800'];
    for (const [index, part] of hostile.entries()) {
      const partitionKey = tableKey('hostile', part);
      const rowKey = tableKey(part, String(index));
      await insertEntity(notes, { partitionKey, rowKey, text: part }, 'note');
      const found = await findEntity<Note>(notes, partitionKey, rowKey, 'note');
      expect(found?.text).toBe(part);
    }
  });

  it('keeps a filter built with the odata tag injection-safe', async () => {
    const partitionKey = tableKey('filter');
    await insertEntity(notes, { partitionKey, rowKey: tableKey('visible'), text: 'plain' }, 'note');
    await insertEntity(notes, { partitionKey, rowKey: tableKey('other'), text: "it's" }, 'note');
    const injected = "plain' or text ne 'x";
    const none = await queryPage<Note>(notes, { filter: filter`PartitionKey eq ${partitionKey} and text eq ${injected}` });
    expect(none.items).toEqual([]);
    const quoted = await queryPage<Note>(notes, { filter: filter`PartitionKey eq ${partitionKey} and text eq ${"it's"}` });
    expect(quoted.items.map((n) => n.rowKey)).toEqual(['other']);
  });

  it('refuses to insert an entity twice with an alreadyExists error', async () => {
    await insertEntity(notes, { partitionKey: tableKey('dup'), rowKey: tableKey('1'), text: 'first' }, "note 'dup'");
    const second = insertEntity(notes, { partitionKey: tableKey('dup'), rowKey: tableKey('1'), text: 'second' }, "note 'dup'");
    await expect(second.catch(codeOf)).resolves.toBe('alreadyExists');
    expect((await findEntity<Note>(notes, tableKey('dup'), tableKey('1'), 'note'))?.text).toBe('first');
  });

  it('lets exactly one of two concurrent updates of the same version win', async () => {
    await insertEntity(notes, { partitionKey: tableKey('race'), rowKey: tableKey('1'), text: 'original' }, 'note');
    const read = (await findEntity<Note>(notes, tableKey('race'), tableKey('1'), 'note'))!;
    const outcomes = await Promise.allSettled(
      ['from A', 'from B'].map((text) => replaceEntity(notes, { partitionKey: tableKey('race'), rowKey: tableKey('1'), text }, read.etag, 'note')),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((o) => codeOf(o.reason))).toEqual(['concurrencyConflict']);
    const stored = (await findEntity<Note>(notes, tableKey('race'), tableKey('1'), 'note'))!;
    expect(['from A', 'from B']).toContain(stored.text);
    expect(stored.etag).toBe((won[0] as PromiseFulfilledResult<string>).value);
  });

  it('reports an update of a deleted entity as notFound, and deleting twice as done', async () => {
    const etag = await insertEntity(notes, { partitionKey: tableKey('gone'), rowKey: tableKey('1'), text: 'x' }, 'note');
    await deleteEntity(notes, tableKey('gone'), tableKey('1'), etag, 'note');
    await expect(deleteEntity(notes, tableKey('gone'), tableKey('1'), '*', 'note')).resolves.toBeUndefined();
    const update = replaceEntity(notes, { partitionKey: tableKey('gone'), rowKey: tableKey('1'), text: 'y' }, etag, 'note');
    await expect(update.catch(codeOf)).resolves.toBe('notFound');
    expect(await findEntity(notes, tableKey('gone'), tableKey('1'), 'note')).toBeUndefined();
  });

  it('pages a query with continuation tokens until the last page', async () => {
    const partitionKey = tableKey('paged');
    for (let i = 0; i < 7; i++) await insertEntity(notes, { partitionKey, rowKey: tableKey(`r${i}`), text: `n${i}` }, 'note');
    const first = await queryPage<Note>(notes, { filter: filter`PartitionKey eq ${partitionKey}`, pageSize: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.continuationToken).toEqual(expect.any(String));
    const all: string[] = [];
    for await (const note of queryAll<Note>(notes, { filter: filter`PartitionKey eq ${partitionKey}`, pageSize: 3 })) {
      all.push(note.text);
    }
    expect(all).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
  });

  it('turns unreachable storage into dependencyUnavailable', async () => {
    const dead = new Tables(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:9/devstoreaccount1',
      'dead',
    );
    await expect(dead.get('x').catch(codeOf)).resolves.toBe('dependencyUnavailable');
  });
});

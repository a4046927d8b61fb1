import { DocumentTable, MAX_DOCUMENT_LENGTH } from '../../shared/store/documentTable';
import { tableKey } from '../../shared/store/tableKeys';
import type { Tables } from '../../shared/store/tables';
import { testTables } from '../support/testStorage';

interface Note {
  text: string;
}

describe('documents in a table (Azurite)', () => {
  let tables: Tables;
  let notes: DocumentTable<Note>;

  beforeAll(() => {
    tables = testTables();
    notes = new DocumentTable<Note>(() => tables.get('documents'), 'note');
  });
  afterAll(() => tables.deleteAll());

  it('stores and reads back a document split over parts up to the largest a row holds', async () => {
    // ASCII: Azurite garbles a multi-byte character that falls across one of its chunk boundaries (not Table Storage).
    const text = 'x'.repeat(MAX_DOCUMENT_LENGTH - JSON.stringify({ text: '' }).length);
    await notes.insert(tableKey('large'), tableKey('largest'), { text });
    expect((await notes.get(tableKey('large'), tableKey('largest')))?.value.text).toBe(text);
  });

  it('refuses a document over the limit before writing anything', async () => {
    const text = 'x'.repeat(MAX_DOCUMENT_LENGTH);
    await expect(notes.insert(tableKey('large'), tableKey('too large'), { text })).rejects.toThrow(/more than the 480000 a row holds; it was not written/);
    expect(await notes.get(tableKey('large'), tableKey('too large'))).toBeUndefined();
  });

  it('lists only the first `limit` documents, and none with a limit of zero', async () => {
    for (let i = 0; i < 5; i++) await notes.insert(tableKey('limited'), tableKey(String(i)), { text: String(i) });
    expect((await notes.list({ partitionKey: tableKey('limited'), limit: 3 })).map((d) => d.value.text)).toEqual(['0', '1', '2']);
    expect(await notes.list({ partitionKey: tableKey('limited'), limit: 0 })).toEqual([]);
    expect(await notes.list({ partitionKey: tableKey('limited') })).toHaveLength(5);
  });
});

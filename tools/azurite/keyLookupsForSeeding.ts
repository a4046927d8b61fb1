/**
 * Preloaded into an Azurite child started with `keyLookupsForSeeding` (embeddedAzurite.ts). Stock Azurite checks each
 * insert for an existing row with LokiJS `findOne({ PartitionKey, RowKey })`, which uses the PartitionKey index and
 * then scans the whole partition for the RowKey: seeding a partition of n rows costs n²/2 comparisons (100,000
 * assignee pointers of one package: about 80 minutes on the benchmark machine). Until the parent sends
 * `STOCK_LOOKUPS`, such a lookup goes through whichever of the two key indexes holds fewer rows of that value, then
 * checks the other key: the same row or none, without scanning a large partition. After it, Azurite is stock again, so what a benchmark measures runs on stock code.
 */
export const STOCK_LOOKUPS = 'portcullis:stock-lookups';
/** Set in the Azurite child's environment only: importing this file for the constants patches nothing. */
export const SEEDING_LOOKUPS_ENV = 'PORTCULLIS_AZURITE_SEEDING_LOOKUPS';

interface LokiCollection {
  binaryIndices: Record<string, unknown>;
  chain(): { find(query: object, firstOnly?: boolean): { find(query: object, firstOnly?: boolean): { data(): object[] } } };
  findOne(query: object): object | null;
  calculateRange(operator: '$eq', key: string, value: unknown): [number, number];
}

function preload(): void {
  const azurite = require.resolve('azurite/package.json');
  const loki = require(require.resolve('lokijs', { paths: [azurite] })) as { Collection: { prototype: LokiCollection } };
  const stock = loki.Collection.prototype.findOne;
  let seeding = true;
  loki.Collection.prototype.findOne = function (this: LokiCollection, query: object) {
    const keys = query as { PartitionKey?: unknown; RowKey?: unknown };
    const byKey = Object.keys(query).length === 2 && typeof keys.PartitionKey === 'string' && typeof keys.RowKey === 'string';
    if (!seeding || !byKey || !this.binaryIndices['RowKey'] || !this.binaryIndices['PartitionKey']) return stock.call(this, query);
    // Narrowed first by the key with fewer rows: one package's claims all share a RowKey, its index a PartitionKey.
    const rows = (key: 'PartitionKey' | 'RowKey') => {
      const [from, to] = this.calculateRange('$eq', key, keys[key]);
      return to - from + 1;
    };
    const [narrow, check] = rows('RowKey') < rows('PartitionKey') ? (['RowKey', 'PartitionKey'] as const) : (['PartitionKey', 'RowKey'] as const);
    return this.chain().find({ [narrow]: keys[narrow] }).find({ [check]: keys[check] }, true).data()[0] ?? null;
  };
  process.on('message', (message) => {
    if (message !== STOCK_LOOKUPS) return;
    seeding = false;
    process.send?.(STOCK_LOOKUPS);
  });
}

if (process.env[SEEDING_LOOKUPS_ENV] === '1') preload();

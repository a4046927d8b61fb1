import type { DocumentWrite } from './documentTable';

/** Table Storage's limit on the operations of one transaction. */
export const MAX_TRANSACTION_SIZE = 100;
/**
 * Table Storage refuses a transaction whose body passes 4 MiB: its items' bytes are kept under 3.5 MiB, leaving room
 * for what the body adds around each operation (its multipart headers and request line).
 */
export const MAX_TRANSACTION_BYTES = 3.5 * 1024 * 1024;

/**
 * Items cut into transactions: grouped by partition, at most `size` to each and, when `bytesOf` tells an item's
 * size as written, at most MAX_TRANSACTION_BYTES (an item larger than that alone goes in one of its own).
 */
export function transactionsOf<T>(items: readonly T[], partitionOf: (item: T) => string, size = MAX_TRANSACTION_SIZE, bytesOf?: (item: T) => number): T[][] {
  const open = new Map<string, { items: T[]; bytes: number }>();
  const batches: T[][] = [];
  for (const item of items) {
    const key = partitionOf(item);
    const bytes = bytesOf?.(item) ?? 0;
    let batch = open.get(key);
    if (!batch || batch.items.length >= size || (batch.items.length > 0 && batch.bytes + bytes > MAX_TRANSACTION_BYTES)) {
      batch = { items: [], bytes: 0 };
      open.set(key, batch);
      batches.push(batch.items);
    }
    batch.items.push(item);
    batch.bytes += bytes;
  }
  return batches;
}

/**
 * Each item's write built once and measured as the store sends it (its row's JSON), for transactionsOf's `bytesOf`:
 * `writeOf` then hands out the same write. One that cannot be built measures 0 and is built again where it is used,
 * so that it fails there with its reason.
 */
export function measuredWrites<T>(build: (item: T) => DocumentWrite): { bytesOf: (item: T) => number; writeOf: (item: T) => DocumentWrite } {
  const writes = new Map<T, DocumentWrite>();
  return {
    bytesOf: (item) => {
      try {
        const write = build(item);
        writes.set(item, write);
        return Buffer.byteLength(JSON.stringify(write.action[1]));
      } catch {
        return 0;
      }
    },
    writeOf: (item) => writes.get(item) ?? build(item),
  };
}

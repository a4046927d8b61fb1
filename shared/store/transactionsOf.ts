/** Table Storage's limit on the operations of one transaction. */
export const MAX_TRANSACTION_SIZE = 100;

/** Items cut into transactions: grouped by partition, at most MAX_TRANSACTION_SIZE to each. */
export function transactionsOf<T>(items: readonly T[], partitionOf: (item: T) => string, size = MAX_TRANSACTION_SIZE): T[][] {
  const byPartition = new Map<string, T[]>();
  for (const item of items) {
    const key = partitionOf(item);
    const group = byPartition.get(key);
    if (group) group.push(item);
    else byPartition.set(key, [item]);
  }
  return [...byPartition.values()].flatMap((group) => Array.from({ length: Math.ceil(group.length / size) }, (_, i) => group.slice(i * size, (i + 1) * size)));
}

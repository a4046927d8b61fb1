import type { RouteTiming } from './countingProxy';

/** What a Table request (or an operation inside a transaction) does to its table. */
type Operation = 'point read' | 'query' | 'insert' | 'upsert/replace' | 'merge' | 'delete';

interface TableShare {
  /** Requests of this table alone, by operation (a transaction counts under `transaction`). */
  requests: Map<Operation | 'transaction', number>;
  /** Entity operations inside its transactions, by operation. */
  inTransactions: Map<Operation, number>;
  /** The requests' summed latency (the proxy's): what a run waits on this table for. */
  ms: number;
}

/**
 * The counting proxy's routes summed by table and operation: point reads, queries, transactions (and the entity
 * operations inside them), with their summed latency. On Azurite a query costs the size of its table (it scans it)
 * and an insert or delete inside a transaction that of its partition; on Table Storage neither does.
 * `prefix` is the bench's table prefix, left out of the names.
 */
export function tableOperations(timings: Record<string, RouteTiming>, prefix: string): string {
  const tables = new Map<string, TableShare>();
  const shareOf = (table: string) => {
    const name = table.startsWith(prefix) ? table.slice(prefix.length) : table;
    const share = tables.get(name) ?? { requests: new Map(), inTransactions: new Map(), ms: 0 };
    tables.set(name, share);
    return share;
  };
  const add = <K>(counts: Map<K, number>, key: K, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);
  for (const [route, { count, meanMs }] of Object.entries(timings)) {
    const batch = /^\$batch\[(.*)\]$/.exec(route);
    if (batch) {
      const operations = batch[1]!.split(', ').map(parsed);
      const share = shareOf(operations[0]?.table ?? '?');
      add(share.requests, 'transaction', count);
      share.ms += count * meanMs;
      for (const { table, operation } of operations) add(shareOf(table).inTransactions, operation, count);
      continue;
    }
    const { table, operation } = parsed(route);
    const share = shareOf(table);
    add(share.requests, operation, count);
    share.ms += count * meanMs;
  }
  const list = <K extends string>(counts: Map<K, number>) => [...counts].map(([operation, n]) => `${n} ${operation}`).join(', ');
  return [...tables]
    .sort(([, a], [, b]) => b.ms - a.ms)
    .map(([table, { requests, inTransactions, ms }]) => {
      const inside = inTransactions.size > 0 ? ` (in transactions: ${list(inTransactions)})` : '';
      return `${table}: ${requests.size > 0 ? list(requests) : 'none alone'}${inside}, ${(ms / 1000).toFixed(2)} s`;
    })
    .join('; ');
}

/**
 * A route as the proxy names it (`GET table(kind)`, `GET table() query(kind)`, `PUT table(kind)`): its table and
 * operation. A read by key whose keys hold no word (`GET table()`) cannot be told from a listing without a filter:
 * it counts as a query.
 */
function parsed(route: string): { table: string; operation: Operation } {
  const [method = '', path = ''] = route.split(' ');
  const table = path.replace(/\(.*$/, '');
  if (method === 'GET') return { table, operation: / query/.test(route) || !/\([^)]+\)/.test(path) ? 'query' : 'point read' };
  if (method === 'POST') return { table, operation: 'insert' };
  if (method === 'PUT') return { table, operation: 'upsert/replace' };
  if (method === 'DELETE') return { table, operation: 'delete' };
  return { table, operation: 'merge' };
}

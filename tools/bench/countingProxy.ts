import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { ACCOUNT, ACCOUNT_KEY } from '../azurite/embeddedAzurite';

export interface RoundTripCounts {
  /** Every HTTP request the service sent to Table Storage. */
  roundTrips: number;
  /** Of those, entity group transactions (`$batch`), each one round trip however many entities it writes. */
  transactions: number;
}

/** How long one route's requests took, from the first byte the proxy got to the last it sent back. */
export interface RouteTiming {
  count: number;
  meanMs: number;
  maxMs: number;
  /** The most requests of any route in flight through the proxy at once while one of these started. */
  maxInFlight: number;
  /** Answered 400 or above: 412 for an ETag that changed meanwhile (a hot row), 404 for a read of nothing. */
  failed: number;
}

export interface CountingProxy {
  /** Base URL of the proxy; append the account (`/devstoreaccount1`) to use it as a TableEndpoint. */
  url: string;
  counts(): RoundTripCounts;
  /**
   * The same requests by route: method, table and the first part of the key that says what the row is (a
   * transaction listed with the operations inside it), so a benchmark can say where its round trips go.
   */
  routes(): Record<string, number>;
  /** The same routes with their latency, slowest total first: which requests a slow run waits on. */
  timings(): Record<string, RouteTiming>;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Faults a test injects, chosen by the request's method and path with query (`DELETE /devstoreaccount1/q/messages/…`):
 * the client's connection cut, as a reset connection is, or left without an answer, as a connection that hangs is.
 */
export interface ProxyFaults {
  /** Cut the connection before forwarding: storage never saw the request (not counted either). */
  dropRequest?(method: string, url: string): boolean;
  /** Forward the request, then cut the connection instead of answering: storage did it, the client cannot know. */
  loseAnswer?(method: string, url: string): boolean;
  /** Neither forward nor answer: the connection stays open and silent until the client gives up (or the proxy closes). */
  holdRequest?(method: string, url: string): boolean;
}

/**
 * An HTTP proxy in front of one upstream (Azurite's table endpoint) that forwards every request unchanged and
 * counts it, so a benchmark measures the storage round trips the service really makes instead of guessing them.
 * Shared Key signatures cover the path and headers, not the host, so forwarding keeps them valid. In front of
 * another endpoint (queues) it also serves tests that need a request to fail (`faults`).
 */
export async function startCountingProxy(upstream: string, faults: ProxyFaults = {}): Promise<CountingProxy> {
  const target = new URL(upstream);
  // Kept-alive upstream connections: the proxy should add as little latency as it can.
  const agent = new Agent({ keepAlive: true });
  let counts: RoundTripCounts = { roundTrips: 0, transactions: 0 };
  let routes = new Map<string, number>();
  let timings = new Map<string, { count: number; totalMs: number; maxMs: number; maxInFlight: number; failed: number }>();
  let inFlight = 0;

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const [method, url] = [incoming.method ?? '', incoming.url ?? '/'];
    if (faults.dropRequest?.(method, url)) {
      incoming.socket.destroy();
      return;
    }
    if (faults.holdRequest?.(method, url)) return;
    const loseAnswer = faults.loseAnswer?.(method, url) ?? false;
    const started = performance.now();
    const concurrent = ++inFlight;
    counts.roundTrips += 1;
    const path = decodeURIComponent(new URL(incoming.url ?? '/', target).pathname);
    let route = `${incoming.method} ${routeOf(path, incoming.url ?? '')}`;
    if (path.endsWith('/$batch')) {
      counts.transactions += 1;
      const body: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => body.push(chunk));
      incoming.on('end', () => {
        // Latin-1: no UTF-8 decoding of megabytes; what a route names (methods, paths, key words) is ASCII either way.
        route = `$batch[${batchOperations(Buffer.concat(body).toString('latin1'))}]`;
        tally(routes, route);
      });
    } else {
      tally(routes, route);
    }
    outgoing.on('close', () => {
      inFlight -= 1;
      const ms = performance.now() - started;
      const t = timings.get(route) ?? { count: 0, totalMs: 0, maxMs: 0, maxInFlight: 0, failed: 0 };
      const failed = outgoing.statusCode >= 400 ? 1 : 0;
      timings.set(route, { count: t.count + 1, totalMs: t.totalMs + ms, maxMs: Math.max(t.maxMs, ms), maxInFlight: Math.max(t.maxInFlight, concurrent), failed: t.failed + failed });
    });
    const upstreamRequest = request(
      { agent, hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        if (loseAnswer) {
          answer.resume().on('end', () => incoming.socket.destroy());
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstreamRequest.on('error', (error) => outgoing.destroy(error));
    incoming.pipe(upstreamRequest);
  };

  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    routes: () => Object.fromEntries([...routes].sort((a, b) => b[1] - a[1])),
    timings: () =>
      Object.fromEntries(
        [...timings]
          .sort((a, b) => b[1].totalMs - a[1].totalMs)
          .map(([route, { count, totalMs, maxMs, maxInFlight, failed }]) => [route, { count, meanMs: Math.round((totalMs / count) * 10) / 10, maxMs: Math.round(maxMs), maxInFlight, failed }]),
      ),
    reset: () => {
      counts = { roundTrips: 0, transactions: 0 };
      routes = new Map();
      timings = new Map();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      agent.destroy();
    },
  };
}

/** Azurite's own connection string, but with tables reached through the proxy. */
export function connectionStringThrough(proxy: CountingProxy, endpoints: { blob: string; queue: string }): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT}`,
    `AccountKey=${ACCOUNT_KEY}`,
    `BlobEndpoint=${endpoints.blob}/${ACCOUNT}`,
    `QueueEndpoint=${endpoints.queue}/${ACCOUNT}`,
    `TableEndpoint=${proxy.url}/${ACCOUNT}`,
  ].join(';');
}

const tally = (routes: Map<string, number>, route: string) => routes.set(route, (routes.get(route) ?? 0) + 1);

/** `table(kind)`: the table, and the first part of the entity's key that names a kind of row (`request`, `claim`, `locator`). */
function routeOf(path: string, url: string): string {
  const keyed = /\/([^/(]+)\(PartitionKey='([^']*)',RowKey='([^']*)'\)$/.exec(path);
  if (keyed) return `${keyed[1]}(${kindOf(keyed[2]!, keyed[3]!)})`;
  const table = path.split('/').pop() ?? '';
  const query = decodeURIComponent(new URL(url, 'http://x').search);
  const partition = /PartitionKey eq '([^'|]*)/.exec(query)?.[1];
  return `${table}${query ? ` query${partition && !/^[0-9a-f-]{36}$/.test(partition) ? `(${partition.replace(/^\d+$/, 'minute')})` : ''}` : ''}`;
}

/** The row's kind: a key part that is a word, not an id or a time. */
function kindOf(partitionKey: string, rowKey: string): string {
  const word = (key: string) => key.split('|').find((part) => /^[A-Za-z][A-Za-z]+$/.test(part));
  return word(rowKey) ?? word(partitionKey) ?? '';
}

/**
 * The operations of a transaction's body, as `METHOD table(kind)`, joined. Read with one pass of a pattern over the
 * body, an insert's keys taken from its entity's JSON without parsing the rest: a bulk write's bodies are megabytes,
 * and the proxy's CPU counts against the benchmark's process.
 */
function batchOperations(body: string): string {
  const operations: string[] = [];
  for (const request of body.matchAll(/^(POST|PUT|PATCH|MERGE|DELETE) (\S+) HTTP/gm)) {
    const path = decodeURIComponent(new URL(request[2]!).pathname);
    let route = routeOf(path, request[2]!);
    if (request[1] === 'POST') {
      const start = body.indexOf('\n{', request.index);
      const end = body.indexOf('\n', start + 1);
      const json = start < 0 ? '' : body.slice(start + 1, end < 0 ? undefined : end);
      route = `${route}(${kindOf(stringIn(json, PARTITION_KEY), stringIn(json, ROW_KEY))})`;
    }
    operations.push(`${request[1]} ${route}`);
  }
  return operations.join(', ');
}

/** An entity's keys in its JSON, at the top level (a nested one's quotes are escaped, so it is not found). */
const PARTITION_KEY = /"PartitionKey":("(?:[^"\\]|\\.)*")/;
const ROW_KEY = /"RowKey":("(?:[^"\\]|\\.)*")/;

const stringIn = (json: string, property: RegExp): string => {
  const literal = property.exec(json)?.[1];
  return literal === undefined ? '' : (JSON.parse(literal) as string);
};

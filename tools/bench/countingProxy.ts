import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { ACCOUNT, ACCOUNT_KEY } from '../azurite/embeddedAzurite';

export interface RoundTripCounts {
  /** Every HTTP request the service sent to Table Storage. */
  roundTrips: number;
  /** Of those, entity group transactions (`$batch`), each one round trip however many entities it writes. */
  transactions: number;
}

export interface CountingProxy {
  /** Base URL of the proxy; append the account (`/devstoreaccount1`) to use it as a TableEndpoint. */
  url: string;
  counts(): RoundTripCounts;
  reset(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of one upstream (Azurite's table endpoint) that forwards every request unchanged and
 * counts it, so a benchmark measures the storage round trips the service really makes instead of guessing them.
 * Shared Key signatures cover the path and headers, not the host, so forwarding keeps them valid.
 */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  // Kept-alive upstream connections: the proxy should add as little latency as it can.
  const agent = new Agent({ keepAlive: true });
  let counts: RoundTripCounts = { roundTrips: 0, transactions: 0 };

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    counts.roundTrips += 1;
    if (new URL(incoming.url ?? '/', target).pathname.endsWith('/$batch')) counts.transactions += 1;
    const upstreamRequest = request(
      { agent, hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
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
    reset: () => {
      counts = { roundTrips: 0, transactions: 0 };
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

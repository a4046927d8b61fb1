import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ManagedIdentityEndpoint {
  /** The settings that make @azure/identity's ManagedIdentityCredential ask this endpoint, as on App Service. */
  settings: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  tokensIssued(): number;
  stop(): Promise<void>;
}

const HEADER = 'chaos-run';

/**
 * App Service's managed identity endpoint (GET with `X-IDENTITY-HEADER`, answering `access_token` and
 * `expires_on`), on loopback. A host given `GRAPH_BASE_URL` takes the road it takes in Azure: a token from the
 * managed identity on every Graph call; the Graph emulator checks no token, so any token will do.
 */
export async function startManagedIdentityEndpoint(): Promise<ManagedIdentityEndpoint> {
  let issued = 0;
  const server = createServer((req, res) => {
    if (req.headers['x-identity-header'] !== HEADER) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"missing X-IDENTITY-HEADER"}');
      return;
    }
    issued += 1;
    const resource = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('resource') ?? '';
    const expiresOn = Math.floor(Date.now() / 1000) + 24 * 3600;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: `chaos-token-${issued}`, expires_on: String(expiresOn), resource, token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    settings: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: HEADER },
    tokensIssued: () => issued,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

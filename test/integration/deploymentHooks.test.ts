import { createPrivateKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { loadConfig } from '../../shared/config';
import { initSecrets, SECRETS } from '../../tools/deploy/initSecrets';
import { lockArchivePolicy } from '../../tools/deploy/lockArchivePolicy';

/**
 * The azd post-provision hooks, each against a small HTTP stand-in for the one REST call shape it uses (Key Vault's
 * secrets, Resource Manager's immutability policy): no emulator of either exists to install. The secrets made
 * are checked with the app's own settings parser.
 */
const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'deployer-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

type Handler = (request: IncomingMessage, body: string) => { status: number; body?: unknown; etag?: string };
let handler: Handler;
let server: Server;
let base: string;
const calls: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      calls.push(`${request.method} ${request.url} ${request.headers.authorization} ${request.headers['if-match'] ?? ''}`.trim());
      const answer = handler(request, body);
      response.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.etag ? { etag: answer.etag } : {}) });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => (calls.length = 0));

describe('npm run init-secrets', () => {
  it('creates both secrets in an empty vault, with values the app accepts', async () => {
    const vault = new Map<string, string>();
    handler = (request, body) => {
      const name = /\/secrets\/([^?]+)/.exec(request.url ?? '')?.[1] ?? '';
      if (request.method === 'PUT') vault.set(name, (JSON.parse(body) as { value: string }).value);
      if (request.method === 'GET' && !vault.has(name)) return { status: 404, body: { error: { code: 'SecretNotFound', message: 'no such secret' } } };
      return { status: 200, body: { value: vault.get(name) } };
    };
    expect(await initSecrets(`${base}/`, credential)).toEqual([
      { name: 'hr-webhook-secret', outcome: 'created' },
      { name: 'archive-signing-key', outcome: 'created' },
    ]);
    expect(calls.every((call) => call.includes('Bearer deployer-token'))).toBe(true);
    const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', AUTH_MODE: 'easyauth', HR_WEBHOOK_SECRET: vault.get('hr-webhook-secret')! });
    expect(config.hrWebhookKeys).toHaveLength(1);
    expect(createPrivateKey(vault.get('archive-signing-key')!).asymmetricKeyType).toBe('ed25519');
  });

  it('keeps secrets that exist, writing nothing (a rerun of azd up keeps the keys)', async () => {
    handler = () => ({ status: 200, body: { value: 'existing' } });
    expect((await initSecrets(base, credential)).map((o) => o.outcome)).toEqual(['kept', 'kept']);
    expect(calls.filter((call) => call.startsWith('PUT'))).toEqual([]);
  });

  it('stops on any other answer than found or not found, writing nothing', async () => {
    handler = () => ({ status: 403, body: { error: { code: 'Forbidden', message: 'Caller is not authorized' } } });
    await expect(initSecrets(base, credential)).rejects.toThrow('403 Forbidden Caller is not authorized');
    expect(calls.filter((call) => call.startsWith('PUT'))).toEqual([]);
  });

  it('makes a fresh value every time', () => {
    expect(SECRETS['hr-webhook-secret']()).not.toBe(SECRETS['hr-webhook-secret']());
  });
});

describe('npm run lock-archive-policy', () => {
  const policyId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default/containers/audit-archive/immutabilityPolicies/default';

  it('locks an unlocked policy on the ETag it read', async () => {
    let state = 'Unlocked';
    handler = (request) => {
      if (request.method === 'POST' && request.headers['if-match'] === '"e1"') state = 'Locked';
      return { status: 200, body: { etag: '"e1"', properties: { state } } };
    };
    expect(await lockArchivePolicy(policyId, credential, base)).toBe('locked');
    expect(state).toBe('Locked');
    expect(calls[1]).toBe(`POST ${policyId}/lock?api-version=2023-05-01 Bearer deployer-token "e1"`);
  });

  it('leaves a locked policy alone', async () => {
    handler = () => ({ status: 200, body: { etag: '"e2"', properties: { state: 'Locked' } } });
    expect(await lockArchivePolicy(policyId, credential, base)).toBe('already locked');
    expect(calls.filter((call) => call.startsWith('POST'))).toEqual([]);
  });
});

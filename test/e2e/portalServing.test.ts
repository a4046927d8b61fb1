import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * How the Functions app serves /myaccess (DESIGN §2.3): security headers, hashed assets cached for a year, nothing
 * outside the bundle, and the `?as=` sign-in only on the local host that runs the Graph emulator.
 */
jest.setTimeout(60_000);

const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ALEX = { id: '83d8e92d-f2ad-4c0e-a683-acdf2060d7c4', upn: 'alex.wilber@contoso.com' };

let host: RunningHost;
const storage = () => ({ AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: `s${randomBytes(4).toString('hex')}` });

beforeAll(async () => {
  host = await startHost({ ...storage(), ...TIMERS_DISABLED });
});

afterAll(async () => {
  await host?.stop();
});

function settingsOf(html: string): Record<string, any> {
  const json = /<script type="application\/json" id="portal-settings">(.*?)<\/script>/s.exec(html)?.[1];
  if (json === undefined) throw new Error(`No settings in the page:\n${html}`);
  return JSON.parse(json) as Record<string, any>;
}

/** A GET with the path sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving /myaccess', () => {
  it('answers the page with a strict CSP, nosniff, no framing and no caching', async () => {
    const response = await fetch(`${host.url}/myaccess`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('serves the hashed script and stylesheet the page names, cached for a year', async () => {
    const html = await (await fetch(`${host.url}/myaccess`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/myaccess\/assets\/main-[A-Z0-9]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const path of assets) {
      const response = await fetch(`${host.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-type')).toMatch(path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect((await response.text()).length).toBeGreaterThan(1000);
    }
  });

  it.each([
    '/myaccess/assets/..%2F..%2F..%2Fpackage.json',
    '/myaccess/assets/..%2Fmanifest.json',
    '/myaccess/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/myaccess/assets/..%5C..%5Cpackage.json',
    '/myaccess/assets/manifest.json',
    '/myaccess/assets/main.js',
    '/myaccess/assets/../../package.json',
    '/myaccess/../package.json',
  ])('reads nothing outside the bundle: %s', async (path) => {
    const { status, body } = await rawGet(host.url, path);
    expect(status).toBe(404);
    expect(body).not.toContain('"devDependencies"');
    expect(body).not.toContain('"script"');
  });
});

describe('the local sign-in (?as=)', () => {
  it('signs in by user principal name or object id on the local host with the emulator, with the principal Easy Auth would set', async () => {
    for (const as of [ALEX.upn, ALEX.id]) {
      const settings = settingsOf(await (await fetch(`${host.url}/myaccess?as=${encodeURIComponent(as)}`)).text());
      expect(settings.localSignIn.signedIn).toMatchObject({ id: ALEX.id, userPrincipalName: ALEX.upn, displayName: 'Alex Wilber' });
      const principal = JSON.parse(Buffer.from(settings.localSignIn.signedIn.principal, 'base64').toString('utf8'));
      expect(principal.claims).toEqual(
        expect.arrayContaining([
          { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: ALEX.id },
          { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: TENANT },
        ]),
      );
      // The API takes it as that user.
      const mine = await fetch(`${host.url}/v1.0/identityGovernance/entitlementManagement/assignmentRequests/filterByCurrentUser(on='target')`, {
        headers: { 'x-ms-client-principal': settings.localSignIn.signedIn.principal },
      });
      expect(mine.status).toBe(200);
    }
  });

  it('offers the demo identities, and names a user the tenant does not have instead of signing anyone in', async () => {
    const settings = settingsOf(await (await fetch(`${host.url}/myaccess?as=nobody@contoso.com`)).text());
    expect(settings.localSignIn.signedIn).toBeUndefined();
    expect(settings.localSignIn.error).toContain("no user 'nobody@contoso.com'");
    expect(settings.localSignIn.identities.map((i: { what: string }) => i.what)).toEqual(
      expect.arrayContaining(['Identity Governance Administrator', 'Manager (approves for reports)', 'Requestor (reports to the manager)', 'External user (guest)']),
    );
  });

  it('does nothing when the host calls a Graph it did not start (GRAPH_BASE_URL set): no picker, no principal', async () => {
    // The first host's emulator stands in for a real tenant: this host starts no emulator of its own.
    const other = await startHost({ ...storage(), ...TIMERS_DISABLED, GRAPH_BASE_URL: host.emulatorUrl!, TENANT_ID: TENANT });
    try {
      expect(other.emulatorUrl).toBeUndefined();
      const html = await (await fetch(`${other.url}/myaccess?as=${encodeURIComponent(ALEX.upn)}`)).text();
      expect(settingsOf(html)).toEqual({});
      expect(html).not.toContain(ALEX.id);
    } finally {
      await other.stop();
    }
  });
});

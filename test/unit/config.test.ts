import { generateKeyPairSync } from 'node:crypto';
import { loadConfig } from '../../shared/config';
import { SettingsError } from '../../shared/settings';

const valid = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', AUTH_MODE: 'easyauth' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof SettingsError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a SettingsError');
}

describe('configuration', () => {
  it('fills the defaults of a minimal environment, with the Graph emulator as the directory', () => {
    expect(loadConfig(valid)).toMatchObject({
      GRAPH_EMULATOR_PORT: 7072,
      graphBaseUrl: 'http://127.0.0.1:7072',
      usesGraphEmulator: true,
    });
  });

  it('treats an empty value as unset, as local.settings.json files hold ""', () => {
    expect(loadConfig({ ...valid, GRAPH_BASE_URL: '' })).toMatchObject({ usesGraphEmulator: true });
  });

  it('uses a configured Graph without a trailing slash', () => {
    const config = loadConfig({ ...valid, GRAPH_BASE_URL: 'https://graph.microsoft.com/', TENANT_ID: '7c1a1f2e-8d3b-4c55-9a0e-1b2c3d4e5f60' });
    expect(config).toMatchObject({ graphBaseUrl: 'https://graph.microsoft.com', usesGraphEmulator: false });
  });

  it('refuses to start in Azure without GRAPH_BASE_URL, as the Graph emulator exists only under npm start', () => {
    expect(problemsOf({ ...valid, WEBSITE_SITE_NAME: 'portcullis-prod' })).toEqual([
      'GRAPH_BASE_URL: is required when running in Azure; the Graph emulator exists only under npm start',
    ]);
  });

  it('accepts a real Graph in Azure', () => {
    const config = loadConfig({
      ...valid,
      WEBSITE_SITE_NAME: 'portcullis-prod',
      GRAPH_BASE_URL: 'https://graph.microsoft.com',
      TENANT_ID: '7c1a1f2e-8d3b-4c55-9a0e-1b2c3d4e5f60',
    });
    expect(config).toMatchObject({ graphBaseUrl: 'https://graph.microsoft.com', usesGraphEmulator: false });
  });

  it('requires AUTH_MODE outside the local host, so a deployment never trusts headers by accident', () => {
    expect(problemsOf({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).join('\n')).toContain('AUTH_MODE');
  });

  it('accepts a full jwt configuration against a real Graph', () => {
    const config = loadConfig({
      AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      GRAPH_BASE_URL: 'https://graph.microsoft.com',
      TENANT_ID: '7c1a1f2e-8d3b-4c55-9a0e-1b2c3d4e5f60',
      AUTH_MODE: 'jwt',
      AUTH_JWKS_URL: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
      AUTH_ISSUER: 'https://login.microsoftonline.com/7c1a1f2e-8d3b-4c55-9a0e-1b2c3d4e5f60/v2.0',
      AUTH_AUDIENCE: 'api://portcullis',
      HR_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')} whsec_${Buffer.alloc(24, 2).toString('base64')}`,
    });
    expect(config.AUTH_MODE).toBe('jwt');
    expect(config.hrWebhookKeys).toEqual([Buffer.alloc(32, 1), Buffer.alloc(24, 2)]);
    expect(JSON.stringify(config)).not.toContain('whsec_');
  });

  it.each([
    ['a missing storage setting', { AUTH_MODE: 'easyauth' }, 'AzureWebJobsStorage'],
    ['a malformed storage setting', { AzureWebJobsStorage: 'not a connection string' }, 'AzureWebJobsStorage'],
    ['an unknown auth mode', { ...valid, AUTH_MODE: 'basic' }, "AUTH_MODE: must be 'easyauth' or 'jwt'"],
    ['jwt mode without its JWKS URL', { ...valid, AUTH_MODE: 'jwt', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, 'AUTH_JWKS_URL: is required'],
    ['jwt mode without issuer and audience', { ...valid, AUTH_MODE: 'jwt', AUTH_JWKS_URL: 'https://keys.example/jwks' }, 'AUTH_ISSUER: is required'],
    ['a JWKS URL that is no URL', { ...valid, AUTH_JWKS_URL: 'keys' }, 'AUTH_JWKS_URL'],
    ['a JWKS URL over plain http to another host', { ...valid, AUTH_JWKS_URL: 'http://login.example.com/keys' }, 'AUTH_JWKS_URL: must be an https URL'],
    ['a JWKS URL over http to a host named like loopback', { ...valid, AUTH_JWKS_URL: 'http://127.0.0.1.evil.example/keys' }, 'AUTH_JWKS_URL: must be an https URL'],
    ['a Graph URL that is no URL', { ...valid, GRAPH_BASE_URL: 'graph' }, 'GRAPH_BASE_URL'],
    ['a Graph URL of another scheme', { ...valid, GRAPH_BASE_URL: 'ftp://graph.example' }, 'GRAPH_BASE_URL'],
    ['a real Graph without a tenant id', { ...valid, GRAPH_BASE_URL: 'https://graph.microsoft.com' }, 'TENANT_ID: is required'],
    ['a tenant id that is no GUID', { ...valid, TENANT_ID: 'contoso' }, 'TENANT_ID: must be a GUID'],
    ['an emulator port out of range', { ...valid, GRAPH_EMULATOR_PORT: '70000' }, 'GRAPH_EMULATOR_PORT'],
    ['an emulator port that is no number', { ...valid, GRAPH_EMULATOR_PORT: 'seven' }, 'GRAPH_EMULATOR_PORT'],
    ['an HR webhook secret without whsec_', { ...valid, HR_WEBHOOK_SECRET: 'a-long-enough-shared-secret' }, 'HR_WEBHOOK_SECRET: the secret must start with whsec_'],
    ['an HR webhook secret that is no base64', { ...valid, HR_WEBHOOK_SECRET: 'whsec_not*base64' }, 'HR_WEBHOOK_SECRET: the secret must be whsec_ followed by base64'],
    ['an HR webhook key shorter than 24 bytes', { ...valid, HR_WEBHOOK_SECRET: `whsec_${Buffer.alloc(23).toString('base64')}` }, 'HR_WEBHOOK_SECRET: the secret must encode 24 to 64 bytes'],
    ['an HR webhook key longer than 64 bytes', { ...valid, HR_WEBHOOK_SECRET: `whsec_${Buffer.alloc(24).toString('base64')} whsec_${Buffer.alloc(65).toString('base64')}` }, 'HR_WEBHOOK_SECRET: secret 2 must encode 24 to 64 bytes'],
    ['a table prefix with symbols', { ...valid, TABLE_PREFIX: 'my-prefix' }, 'TABLE_PREFIX'],
  ])('refuses %s, naming the setting', (_situation, env, expected) => {
    expect(problemsOf(env as Record<string, string>).join('\n')).toContain(expected);
  });

  it.each([['http://127.0.0.1:7071/keys'], ['http://localhost/keys'], ['http://[::1]:8080/keys'], ['https://login.microsoftonline.com/common/discovery/v2.0/keys']])(
    'accepts the JWKS URL %s (https, or http on loopback only)',
    (url) => {
      expect(loadConfig({ ...valid, AUTH_JWKS_URL: url }).AUTH_JWKS_URL).toBe(url);
    },
  );

  it('reads GRAPH_WRITE_BUDGET as writes per seconds, defaulting to 90% of Graph\'s 3,000 writes per 150 s', () => {
    expect(loadConfig(valid).GRAPH_WRITE_BUDGET).toEqual({ writes: 2700, windowMs: 150_000 });
    expect(loadConfig({ ...valid, GRAPH_WRITE_BUDGET: '600/60' }).GRAPH_WRITE_BUDGET).toEqual({ writes: 600, windowMs: 60_000 });
  });

  it.each(['3000', '3000/0', '50/150', '20000/150', 'lots/150', '300/5', '-300/150'])('refuses GRAPH_WRITE_BUDGET %s, naming it', (value) => {
    expect(problemsOf({ ...valid, GRAPH_WRITE_BUDGET: value })).toEqual([expect.stringMatching(/^GRAPH_WRITE_BUDGET: must be '<writes>\/<seconds>'/)]);
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ AUTH_MODE: 'x', TENANT_ID: 'y' })).toHaveLength(3);
  });
});

describe('the archive settings', () => {
  it('defaults to a 120-second settle and 90 days of retention, with no signing key', () => {
    expect(loadConfig(valid)).toMatchObject({ ARCHIVE_SETTLE_SECONDS: 120, AUDIT_RETENTION_DAYS: 90, archiveSigningKey: undefined });
  });

  it('reads an Ed25519 PEM key, also with its newlines written as \\n, and names its fingerprint', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const key = loadConfig({ ...valid, ARCHIVE_SIGNING_KEY: pem.replace(/\n/g, '\\n'), AUDIT_RETENTION_DAYS: '0' });
    expect(key.archiveSigningKey?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(key.AUDIT_RETENTION_DAYS).toBe(0);
  });

  it('refuses a key that is not Ed25519, a key that is no key, and settle or retention that are not whole numbers', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(problemsOf({ ...valid, ARCHIVE_SIGNING_KEY: rsa })).toEqual(['ARCHIVE_SIGNING_KEY: must be an Ed25519 key, not rsa']);
    expect(problemsOf({ ...valid, ARCHIVE_SIGNING_KEY: 'secret' })).toEqual(['ARCHIVE_SIGNING_KEY: must be a PEM private key (-----BEGIN PRIVATE KEY-----)']);
    expect(problemsOf({ ...valid, ARCHIVE_SETTLE_SECONDS: '-1', AUDIT_RETENTION_DAYS: '1.5' })).toEqual(['ARCHIVE_SETTLE_SECONDS: must be 0 or more', 'AUDIT_RETENTION_DAYS: must be whole days']);
  });
});

describe('the held joiner retry', () => {
  it('defaults to a minute and takes whole seconds from 1 to 3600', () => {
    expect(loadConfig(valid).HR_JOINER_RETRY_SECONDS).toBe(60);
    expect(loadConfig({ ...valid, HR_JOINER_RETRY_SECONDS: '2' }).HR_JOINER_RETRY_SECONDS).toBe(2);
    expect(problemsOf({ ...valid, HR_JOINER_RETRY_SECONDS: '0' })).toEqual(['HR_JOINER_RETRY_SECONDS: must be 1 or more']);
    expect(problemsOf({ ...valid, HR_JOINER_RETRY_SECONDS: '1.5' })).toEqual(['HR_JOINER_RETRY_SECONDS: must be whole seconds']);
    expect(problemsOf({ ...valid, HR_JOINER_RETRY_SECONDS: '3601' })).toEqual(['HR_JOINER_RETRY_SECONDS: must be at most 3600 (an hour)']);
  });
});

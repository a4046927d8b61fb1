import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingNames } from '../../shared/config';

/**
 * No Bicep compiler installs here (reference/scaleout-and-deploy.md §4.5), so the template is checked as text: the
 * app settings it sets (the block between the app-settings markers of infra/modules/appConfig.bicep) against the
 * settings the app reads (shared/config.ts and local.settings.sample.json, DESIGN §2.2).
 */
const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function templateSettings(): string[] {
  const text = read('infra/modules/appConfig.bicep');
  const block = /\/\/ app-settings:begin\n([\s\S]*?)\n\s*\/\/ app-settings:end/.exec(text)?.[1];
  if (!block) throw new Error('appConfig.bicep has no app-settings:begin / app-settings:end block');
  return block
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('//'))
    .map((line) => {
      const name = /^\s*'?([A-Za-z_][\w.]*)'?\s*:/.exec(line)?.[1];
      if (!name) throw new Error(`not one "NAME: value" setting a line: ${line.trim()}`);
      return name;
    });
}

const sampleSettings = Object.keys((JSON.parse(read('local.settings.sample.json')) as { Values: Record<string, string> }).Values);

/** Settings the app knows that a deployment leaves out on purpose, and why. */
const NOT_DEPLOYED: Record<string, string> = {
  AzureWebJobsStorage: 'the account allows no keys: the identity-based AzureWebJobsStorage__* form is set instead',
  AzureWebJobsStorage__blobServiceUri: 'derived from AzureWebJobsStorage__accountName',
  AzureWebJobsStorage__queueServiceUri: 'derived from AzureWebJobsStorage__accountName',
  AzureWebJobsStorage__tableServiceUri: 'derived from AzureWebJobsStorage__accountName',
  GRAPH_EMULATOR_PORT: 'the Graph emulator runs only under npm start',
  DIRECTORY_SEED: 'the Graph emulator runs only under npm start',
  GRAPH_EMULATOR_FAULTS: 'the Graph emulator runs only under npm start',
  PORT: 'the local host only; Azure Functions serves HTTP itself',
  HOST: 'the local host only',
  AZURITE_LOCATION: 'embedded Azurite only',
  WORKERS: 'the local host only; Azure scales the instances itself',
  FUNCTIONS_WORKER_RUNTIME: 'Flex Consumption takes the runtime from functionAppConfig and refuses this setting',
  AZURE_TENANT_ID: 'client-secret sign-in outside Azure; the managed identity needs no tenant setting',
  AZURE_CLIENT_SECRET: 'client-secret sign-in outside Azure; the managed identity has no secret',
  WEBSITE_SITE_NAME: 'App Service sets it on every app',
  HR_JOINER_RETRY_SECONDS: 'its default (a minute) is the one to run with; tests shorten it',
};

/** Settings the template sets that the platform reads, not the app. */
const READ_BY_THE_PLATFORM: Record<string, string> = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'the Functions host sends telemetry there',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'the host authenticates to Application Insights with the managed identity',
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: 'Easy Auth signs users in with the managed identity instead of a client secret',
  WEBSITE_AUTH_AAD_ALLOWED_TENANTS: 'Easy Auth accepts tokens of the governed tenant only',
};

describe('the deployment template sets the settings the app reads, and only those', () => {
  const known = new Set([...settingNames, ...sampleSettings]);
  const deployed = templateSettings();

  it('lists each setting once', () => {
    expect(deployed.filter((name, index) => deployed.indexOf(name) !== index)).toEqual([]);
  });

  it('sets every setting the app reads, except those left out on purpose', () => {
    const missing = [...known].filter((name) => !deployed.includes(name) && !(name in NOT_DEPLOYED));
    expect(missing).toEqual([]);
  });

  it('sets nothing the app does not read, except what the platform reads', () => {
    const unknown = deployed.filter((name) => !known.has(name) && !(name in READ_BY_THE_PLATFORM));
    expect(unknown).toEqual([]);
  });

  it('keeps its lists of exceptions true: each names a setting the app or platform has, and none is deployed', () => {
    for (const name of Object.keys(NOT_DEPLOYED)) expect({ name, known: known.has(name), deployed: deployed.includes(name) }).toEqual({ name, known: true, deployed: false });
    for (const name of Object.keys(READ_BY_THE_PLATFORM)) expect({ name, deployed: deployed.includes(name), known: known.has(name) }).toEqual({ name, deployed: true, known: false });
  });

  it('reads both secrets from Key Vault, never from a value in the template', () => {
    const text = read('infra/modules/appConfig.bicep');
    expect(text).toMatch(/^\s*HR_WEBHOOK_SECRET: hrWebhookSecretReference$/m);
    expect(text).toMatch(/^\s*ARCHIVE_SIGNING_KEY: archiveSigningKeyReference$/m);
    expect(read('infra/modules/keyVault.bicep')).toMatch(/@Microsoft\.KeyVault\(SecretUri=\$\{vault\.properties\.vaultUri\}secrets\/hr-webhook-secret\/\)/);
  });

  it("offers the auth modes the app accepts, and no other", () => {
    const allowed = /@allowed\(\[([^\]]*)\]\)\s*(?:@description\([^\n]*\)\s*)?param authMode/.exec(read('infra/main.bicep'))?.[1];
    expect(allowed?.split(',').map((value) => value.trim().replace(/'/g, ''))).toEqual(['easyauth', 'jwt']);
  });

  it('runs the app on Node 22, the Node that npm test also runs the suite on', () => {
    expect(read('infra/modules/functionApp.bicep')).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
    const { devDependencies } = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
    expect(devDependencies.node).toMatch(/^22\.\d+\.\d+$/);
  });
});

describe('the Microsoft Graph permissions of the managed identity', () => {
  const { resourceAppId, permissions } = JSON.parse(read('infra/graph-permissions.json')) as {
    resourceAppId: string;
    permissions: { value: string; why: string }[];
  };

  it('are Microsoft Graph application permissions, each once, each with its reason', () => {
    expect(resourceAppId).toBe('00000003-0000-0000-c000-000000000000');
    expect(new Set(permissions.map((p) => p.value)).size).toBe(permissions.length);
    for (const permission of permissions) expect(permission.why.length).toBeGreaterThan(20);
  });

  it('are granted by the Bicep module from that same list', () => {
    const module = read('infra/modules/graphPermissions.bicep');
    expect(module).toContain("loadJsonContent('../graph-permissions.json')");
    expect(module).toContain("'Microsoft.Graph/appRoleAssignedTo@v1.0'");
    expect(read('infra/bicepconfig.json')).toContain('br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:');
  });
});

import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { loadConfig } from '../../shared/config';
import { SettingsError } from '../../shared/settings';
import { tableClient, tableServiceClient } from '../../shared/store/storageConnection';
import { loadHostSettings } from '../../tools/local-host/hostSettings';

const base = { AUTH_MODE: 'easyauth' };
const clientId = '3f2c6a4e-1b7d-4e8a-9c0f-5d6e7f8a9b0c';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof SettingsError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a SettingsError');
}

/** A credential that hands out one known token and remembers the scopes it was asked for. */
class RecordingCredential implements TokenCredential {
  readonly scopes: string[] = [];
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopes.push(...[scopes].flat());
    return { token: 'token-from-identity', expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** The SDK's own pipeline runs (auth policy included); only the wire is replaced, so the request can be read. */
class RecordingHttpClient implements HttpClient {
  readonly requests: PipelineRequest[] = [];
  async sendRequest(request: PipelineRequest) {
    this.requests.push(request);
    const created = request.method === 'POST';
    const body = created ? '{"TableName":"catalogs"}' : '{"value":[]}';
    return { request, status: created ? 201 : 200, headers: createHttpHeaders({ 'content-type': 'application/json' }), bodyAsText: body };
  }
}

describe('storage by identity (AzureWebJobsStorage__*), as a deployment without account keys has it', () => {
  it('derives the blob, queue and table URLs from the account name and picks the user-assigned identity', () => {
    const config = loadConfig({
      ...base,
      AzureWebJobsStorage__accountName: 'stportcullis01',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: clientId,
    });
    expect(config.storage).toEqual({
      kind: 'identity',
      serviceUris: {
        blob: 'https://stportcullis01.blob.core.windows.net',
        queue: 'https://stportcullis01.queue.core.windows.net',
        table: 'https://stportcullis01.table.core.windows.net',
      },
      managedIdentity: { clientId },
    });
  });

  it('takes each service URL as given, as the reference template sets them, over the account name', () => {
    const config = loadConfig({
      ...base,
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net/',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
    });
    expect(config.storage).toEqual({
      kind: 'identity',
      serviceUris: { blob: 'https://acct.blob.core.windows.net', queue: 'https://acct.queue.core.windows.net', table: 'https://acct.table.core.windows.net' },
    });
  });

  it('keeps the connection-string form as it was', () => {
    expect(loadConfig({ ...base, AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).storage).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
  });

  it.each([
    ['no storage setting at all', {}, 'AzureWebJobsStorage: is required'],
    ['both forms at once', { AzureWebJobsStorage: 'UseDevelopmentStorage=true', AzureWebJobsStorage__accountName: 'acct01' }, 'AzureWebJobsStorage: must not be set together with AzureWebJobsStorage__accountName'],
    ['service URLs without the table one', { AzureWebJobsStorage__blobServiceUri: 'https://a.blob.core.windows.net', AzureWebJobsStorage__queueServiceUri: 'https://a.queue.core.windows.net' }, 'AzureWebJobsStorage__tableServiceUri: is required'],
    ['an account name with capitals', { AzureWebJobsStorage__accountName: 'MyAccount' }, 'AzureWebJobsStorage__accountName: must be a storage account name'],
    ['a service URL over http (a token must not travel in clear)', { AzureWebJobsStorage__accountName: 'acct01', AzureWebJobsStorage__tableServiceUri: 'http://acct01.table.core.windows.net' }, 'AzureWebJobsStorage__tableServiceUri: must be an https URL'],
    ['an unknown credential kind', { AzureWebJobsStorage__accountName: 'acct01', AzureWebJobsStorage__credential: 'password' }, "AzureWebJobsStorage__credential: must be 'managedidentity'"],
    ['a client id without managedidentity', { AzureWebJobsStorage__accountName: 'acct01', AzureWebJobsStorage__clientId: clientId }, 'AzureWebJobsStorage__clientId: is used only with'],
    ['a client id that is no GUID', { AzureWebJobsStorage__accountName: 'acct01', AzureWebJobsStorage__credential: 'managedidentity', AzureWebJobsStorage__clientId: 'api' }, 'AzureWebJobsStorage__clientId: must be the client id'],
  ])('refuses %s, naming the setting', (_situation, env, expected) => {
    expect(problemsOf({ ...base, ...env }).join('\n')).toContain(expected);
  });

  it('calls the table service at its https URL with a bearer token for Azure Storage, and no account key', async () => {
    const credential = new RecordingCredential();
    const wire = new RecordingHttpClient();
    const connection = { serviceUris: { blob: 'https://acct.blob.core.windows.net', queue: 'https://acct.queue.core.windows.net', table: 'https://acct.table.core.windows.net' }, credential };
    await tableServiceClient(connection, { httpClient: wire }).listTables().byPage().next();
    await tableClient(connection, 'catalogs', { httpClient: wire }).createTable();
    expect(wire.requests.map((request) => request.url)).toEqual([
      expect.stringMatching(/^https:\/\/acct\.table\.core\.windows\.net\/Tables\b/),
      expect.stringMatching(/^https:\/\/acct\.table\.core\.windows\.net\/Tables\b/),
    ]);
    for (const request of wire.requests) expect(request.headers.get('authorization')).toBe('Bearer token-from-identity');
    expect(credential.scopes).toContain('https://storage.azure.com/.default');
  });

  it('makes the local host start no Azurite when the settings name an account by identity', () => {
    expect(loadHostSettings({ AzureWebJobsStorage__accountName: 'acct01' }).embeddedStorage).toBe(false);
    expect(loadHostSettings({}).embeddedStorage).toBe(true);
  });
});

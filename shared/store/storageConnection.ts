import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { StorageService, StorageSettings } from '../storageSettings';

/**
 * How the app reaches its storage account: a connection string (Azurite, or an account with keys), or each
 * service's URL with a token credential (a deployment whose account allows no keys). Blob and queue clients take
 * the same: `fromConnectionString(connection)`, or `new BlobServiceClient(connection.serviceUris.blob, connection.credential)`.
 */
export type StorageConnection =
  | string
  | { serviceUris: Readonly<Record<StorageService, string>>; credential: TokenCredential };

/**
 * The connection the settings describe. `managedidentity` means the identity the host itself uses (the
 * user-assigned one when a client id is given); otherwise DefaultAzureCredential, so a developer signed in with
 * `az login` or `azd auth login` can point the local host at a real account.
 */
export function storageConnectionFor(settings: StorageSettings): StorageConnection {
  if (settings.kind === 'connectionString') return settings.connectionString;
  const credential = settings.managedIdentity
    ? new ManagedIdentityCredential(settings.managedIdentity.clientId ? { clientId: settings.managedIdentity.clientId } : {})
    : new DefaultAzureCredential();
  return { serviceUris: settings.serviceUris, credential };
}

export function tableServiceClient(connection: StorageConnection, options: TableServiceClientOptions = {}): TableServiceClient {
  // Azurite serves plain http; the SDK sends keys over http only when told to. Tokens it never sends over http.
  const withInsecure = { allowInsecureConnection: true, ...options };
  if (typeof connection === 'string') return TableServiceClient.fromConnectionString(connection, withInsecure);
  return new TableServiceClient(connection.serviceUris.table, connection.credential, options);
}

export function tableClient(connection: StorageConnection, tableName: string, options: TableServiceClientOptions = {}): TableClient {
  if (typeof connection === 'string') return TableClient.fromConnectionString(connection, tableName, { allowInsecureConnection: true, ...options });
  return new TableClient(connection.serviceUris.table, tableName, connection.credential, options);
}

export function queueServiceClient(connection: StorageConnection, options: StoragePipelineOptions = {}): QueueServiceClient {
  if (typeof connection === 'string') return QueueServiceClient.fromConnectionString(connection, options);
  return new QueueServiceClient(connection.serviceUris.queue, connection.credential, options);
}

export function blobServiceClient(connection: StorageConnection): BlobServiceClient {
  if (typeof connection === 'string') return BlobServiceClient.fromConnectionString(connection);
  return new BlobServiceClient(connection.serviceUris.blob, connection.credential);
}

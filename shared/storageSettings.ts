import { z } from 'zod';

/**
 * The app's storage account, named the way the Functions host names it (DESIGN §2.2): either a connection string in
 * `AzureWebJobsStorage`, or an identity-based connection under the `AzureWebJobsStorage__` prefix, as a deployment
 * without account keys has it (`__accountName`, or `__blobServiceUri`/`__queueServiceUri`/`__tableServiceUri`, with
 * `__credential=managedidentity` and `__clientId` to pick a user-assigned identity). The app reads the same settings
 * as the host, so the one storage account serves both.
 */
export type StorageSettings =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      serviceUris: Readonly<Record<StorageService, string>>;
      /** Set when `__credential` is `managedidentity`: the client id of a user-assigned identity, or none for the system one. */
      managedIdentity?: { clientId?: string };
    };

export type StorageService = 'blob' | 'queue' | 'table';

const PREFIX = 'AzureWebJobsStorage__';
const SERVICES: readonly StorageService[] = ['blob', 'queue', 'table'];

const httpsUrl = z.url({ protocol: /^https$/, message: 'must be an https URL of the storage service' });

/** The schema entries of the identity-based form; config.ts spreads them into its own schema. */
export const identityStorageSchema = {
  [`${PREFIX}accountName`]: z.string().regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3 to 24 lowercase letters or digits)').optional(),
  [`${PREFIX}blobServiceUri`]: httpsUrl.optional(),
  [`${PREFIX}queueServiceUri`]: httpsUrl.optional(),
  [`${PREFIX}tableServiceUri`]: httpsUrl.optional(),
  [`${PREFIX}credential`]: z.enum(['managedidentity'], { message: "must be 'managedidentity' (or unset)" }).optional(),
  [`${PREFIX}clientId`]: z.string().regex(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i, 'must be the client id (a GUID) of a managed identity').optional(),
} as const;

type Parsed = { AzureWebJobsStorage?: string } & Partial<Record<keyof typeof identityStorageSchema, string>>;

/**
 * Picks the form the settings use, or names what is missing. Both forms at once is refused: which account the app
 * would use would then depend on which one this code happened to prefer.
 */
export function storageSettingsOf(settings: Parsed): StorageSettings | { problem: { path: string; message: string } } {
  const identityNames = Object.keys(identityStorageSchema).filter((name) => settings[name as keyof Parsed] !== undefined);
  if (settings.AzureWebJobsStorage !== undefined) {
    if (identityNames.length === 0) return { kind: 'connectionString', connectionString: settings.AzureWebJobsStorage };
    return { problem: { path: 'AzureWebJobsStorage', message: `must not be set together with ${identityNames.join(', ')}: use one form of storage connection` } };
  }
  const account = settings[`${PREFIX}accountName`];
  const serviceUris = {} as Record<StorageService, string>;
  for (const service of SERVICES) {
    const uri = settings[`${PREFIX}${service}ServiceUri`] ?? (account && `https://${account}.${service}.core.windows.net`);
    if (!uri) {
      const message =
        identityNames.length === 0
          ? `is required: a storage connection string, or ${PREFIX}accountName for an identity-based connection`
          : `is required for an identity-based connection without ${PREFIX}accountName`;
      return { problem: { path: identityNames.length === 0 ? 'AzureWebJobsStorage' : `${PREFIX}${service}ServiceUri`, message } };
    }
    serviceUris[service] = uri.replace(/\/+$/, '');
  }
  const clientId = settings[`${PREFIX}clientId`];
  if (settings[`${PREFIX}credential`] !== 'managedidentity') {
    if (clientId) return { problem: { path: `${PREFIX}clientId`, message: `is used only with ${PREFIX}credential=managedidentity` } };
    return { kind: 'identity', serviceUris };
  }
  return { kind: 'identity', serviceUris, managedIdentity: clientId ? { clientId } : {} };
}

/** True when the settings name a storage account by identity (the local host then starts no Azurite). */
export function usesIdentityStorage(env: Readonly<Record<string, string | undefined>>): boolean {
  return Object.keys(identityStorageSchema).some((name) => Boolean(env[name]));
}

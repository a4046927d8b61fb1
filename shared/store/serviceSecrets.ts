import { randomBytes } from 'node:crypto';
import { DocumentTable } from './documentTable';
import { ignoreExisting } from './storeErrors';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

interface StoredSecret {
  /** 32 random bytes, base64. */
  key: string;
}

/**
 * Keys the service makes for itself and shares between its instances through its own storage (callers never read
 * it): the first instance to need one writes it, the others read that one. Works the same with a connection string
 * and with a managed identity, which has no account key to derive anything from.
 */
export async function serviceSecret(tables: Tables, name: string, create: true): Promise<Buffer>;
/** Without `create`: the key, or undefined when none was made yet (nothing is written then). */
export async function serviceSecret(tables: Tables, name: string, create: false): Promise<Buffer | undefined>;
export async function serviceSecret(tables: Tables, name: string, create: boolean): Promise<Buffer | undefined> {
  const secrets = new DocumentTable<StoredSecret>(() => tables.get('serviceSecrets'), 'service secret');
  const [partitionKey, rowKey] = [tableKey(name), tableKey('key')];
  const existing = await secrets.get(partitionKey, rowKey);
  if (existing) return Buffer.from(existing.value.key, 'base64');
  if (!create) return undefined;
  // Two instances at once: one insert wins, and both read the winner's key.
  await secrets.insert(partitionKey, rowKey, { key: randomBytes(32).toString('base64') }).catch(ignoreExisting);
  const stored = await secrets.get(partitionKey, rowKey);
  if (!stored) throw new Error(`The service secret '${name}' could not be read back after it was written.`);
  return Buffer.from(stored.value.key, 'base64');
}

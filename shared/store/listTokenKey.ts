import { randomBytes } from 'node:crypto';
import { DocumentTable } from './documentTable';
import { ignoreExisting } from './storeErrors';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

interface Secret {
  /** 32 random bytes, base64. */
  key: string;
}

const SECRETS = tableKey('secrets');
const LIST_TOKEN_KEY = tableKey('listTokenKey');

/**
 * The key that signs every skip token (api/skipTokens.ts: lists, the audit log, reports): 32 random bytes made by the first worker that needs them and kept in
 * the app's own storage (sweep states table), so every instance of a deployment signs and checks alike, and no
 * setting has to be managed. Whoever can read the storage account can forge a token, and could read the data anyway.
 */
export class ListTokenKey {
  readonly #secrets: DocumentTable<Secret>;
  #key: Promise<Buffer> | undefined;

  constructor(tables: Tables) {
    this.#secrets = new DocumentTable(() => tables.get('sweepStates'), 'secret');
  }

  /** Read once per worker; two workers making it at once keep the one written first. */
  key(): Promise<Buffer> {
    this.#key ??= this.#load().catch((error: unknown) => {
      this.#key = undefined;
      throw error;
    });
    return this.#key;
  }

  async #load(): Promise<Buffer> {
    const found = await this.#secrets.get(SECRETS, LIST_TOKEN_KEY);
    if (found) return Buffer.from(found.value.key, 'base64');
    await this.#secrets.insert(SECRETS, LIST_TOKEN_KEY, { key: randomBytes(32).toString('base64') }).catch(ignoreExisting);
    const made = await this.#secrets.get(SECRETS, LIST_TOKEN_KEY);
    if (!made) throw new Error('The list token key could not be read back after it was written.');
    return Buffer.from(made.value.key, 'base64');
  }
}

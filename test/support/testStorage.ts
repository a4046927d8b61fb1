import { randomBytes } from 'node:crypto';
import { Tables } from '../../shared/store/tables';

/** Set by the global set-up: the storage every integration test uses, and this run's table prefix. */
export const STORAGE_ENV = 'PORTCULLIS_TEST_STORAGE';
export const PREFIX_ENV = 'PORTCULLIS_TEST_TABLE_PREFIX';

export function testStorageConnectionString(): string {
  const connectionString = process.env[STORAGE_ENV];
  if (!connectionString) throw new Error(`${STORAGE_ENV} is not set: run the tests through jest (its global set-up starts Azurite).`);
  return connectionString;
}

/** Tables under a prefix of their own, so test files running at once never see each other's rows. */
export function testTables(): Tables {
  const prefix = `${process.env[PREFIX_ENV] ?? 't'}${randomBytes(3).toString('hex')}`;
  return new Tables(testStorageConnectionString(), prefix);
}

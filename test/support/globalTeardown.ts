import type { EmbeddedAzurite } from '../../tools/azurite/embeddedAzurite';
import { Tables } from '../../shared/store/tables';
import { PREFIX_ENV, STORAGE_ENV } from './testStorage';

/** Removes this run's tables (they matter when the storage is not a throwaway Azurite), then stops Azurite. */
export default async function globalTeardown(): Promise<void> {
  const connectionString = process.env[STORAGE_ENV];
  const prefix = process.env[PREFIX_ENV];
  if (connectionString && prefix) await new Tables(connectionString, prefix).deleteAll();
  await (globalThis as { testAzurite?: EmbeddedAzurite }).testAzurite?.stop();
}

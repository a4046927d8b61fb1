import { startAzurite, type EmbeddedAzurite } from '../../tools/azurite/embeddedAzurite';
import { PREFIX_ENV, STORAGE_ENV } from './testStorage';

/**
 * Starts one in-memory Azurite for the run (unless PORTCULLIS_TEST_STORAGE names a storage account already) and
 * gives the run a table prefix of its own. Test workers inherit both through the environment.
 */
export default async function globalSetup(): Promise<void> {
  process.env[PREFIX_ENV] = `t${Date.now().toString(36)}`;
  if (process.env[STORAGE_ENV]) return;
  const azurite = await startAzurite();
  process.env[STORAGE_ENV] = azurite.connectionString;
  (globalThis as { testAzurite?: EmbeddedAzurite }).testAzurite = azurite;
}

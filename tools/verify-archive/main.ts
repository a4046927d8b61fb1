import { existsSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { parseArgs } from 'node:util';
import { archiveContainerName } from '../../shared/domain/archive/archiveLayout';
import { publicKeyFromPem } from '../../shared/domain/archive/digestSigning';
import { storageSettingsOf } from '../../shared/storageSettings';
import { storageConnectionFor, type StorageConnection } from '../../shared/store/storageConnection';
import { ArchiveContainer } from '../../shared/store/archiveContainer';
import { localArchiveKeyPath } from '../local-host/archiveKey';
import { applyLocalSettingsFile } from '../local-host/hostSettings';
import { findProjectRoot } from '../local-host/loadFunctions';
import { verifyArchive } from './verifyArchive';

const USAGE = `npm run verify-archive -- [--connection-string CS] [--public-key FILE] [--container NAME] [--events]
  --connection-string  the storage account (default: AzureWebJobsStorage, from the environment or local.settings.json)
  --public-key         PEM of the Ed25519 public key (or the private key) that signs the digests (default: the public
                       half of ARCHIVE_SIGNING_KEY, else of .portcullis/archive-signing-key.pem, as the local host keeps it)
  --container          the blob container (default: audit-archive, under TABLE_PREFIX when that is set)
  --events             also check that the archived events' sequences have no hole`;

/**
 * `npm run verify-archive`: checks the audit archive offline from the service (DESIGN §2.8): a line per digest and
 * file, a summary, exit code 1 when anything is invalid or missing (2 for a usage error).
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'connection-string': { type: 'string' },
      'public-key': { type: 'string' },
      container: { type: 'string' },
      events: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const root = findProjectRoot();
  applyLocalSettingsFile(root, process.env);
  const publicKey = findPublicKey(values['public-key'], root);
  const container = new ArchiveContainer(storageOf(values['connection-string']), values.container ?? archiveContainerName(process.env.TABLE_PREFIX || undefined));
  const report = await verifyArchive(container, publicKey, { events: values.events });
  process.stdout.write(`${report.lines.join('\n')}\n`);
  return report.ok ? 0 : 1;
}

/**
 * `--connection-string`, else the app's own storage settings: AzureWebJobsStorage, or the identity-based
 * AzureWebJobsStorage__* form (a deployed account allows no keys; the reader's Azure sign-in then reads it).
 */
function storageOf(given: string | undefined): StorageConnection {
  if (given) return given;
  const named = Object.fromEntries(Object.entries(process.env).filter(([name, value]) => value && name.startsWith('AzureWebJobsStorage')));
  if (Object.keys(named).length === 0) throw new UsageError('no storage account: set AzureWebJobsStorage (or AzureWebJobsStorage__accountName) or pass --connection-string.');
  const settings = storageSettingsOf(named);
  if ('problem' in settings) throw new UsageError(`${settings.problem.path}: ${settings.problem.message}`);
  return storageConnectionFor(settings);
}

function findPublicKey(file: string | undefined, root: string): KeyObject {
  try {
    if (file) return publicKeyFromPem(readFileSync(file, 'utf8'));
    if (process.env.ARCHIVE_SIGNING_KEY) return publicKeyFromPem(process.env.ARCHIVE_SIGNING_KEY);
    const kept = localArchiveKeyPath(root);
    if (existsSync(kept)) return publicKeyFromPem(readFileSync(kept, 'utf8'));
  } catch (error) {
    throw new UsageError(`the public key cannot be read: ${(error as Error).message}`);
  }
  throw new UsageError('no key to verify with: pass --public-key FILE, or set ARCHIVE_SIGNING_KEY.');
}

class UsageError extends Error {}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`verify-archive: ${error instanceof Error ? error.message : String(error)}\n${error instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);

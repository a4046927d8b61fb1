import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newSigningKeyPem } from '../../shared/domain/archive/digestSigning';

/** Where the local host keeps the archive's signing key when ARCHIVE_SIGNING_KEY is unset (ignored by git). */
export const localArchiveKeyPath = (projectRoot: string) => join(projectRoot, '.portcullis', 'archive-signing-key.pem');

/**
 * Under `npm start` without ARCHIVE_SIGNING_KEY: uses the key kept in `.portcullis/archive-signing-key.pem`, making it
 * the first time (readable by its owner only), so digests signed in one session verify in the next and
 * `npm run verify-archive` finds it. Two hosts starting at once make one key: the file is created exclusively.
 * Answers the file's path when it was used.
 */
export function useLocalArchiveKey(projectRoot: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.ARCHIVE_SIGNING_KEY) return undefined;
  const path = localArchiveKeyPath(projectRoot);
  mkdirSync(join(projectRoot, '.portcullis'), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, newSigningKeyPem(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  env.ARCHIVE_SIGNING_KEY = readFileSync(path, 'utf8');
  return path;
}

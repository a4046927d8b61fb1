import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The app's root: the folder holding package.json beside host.json, found from this file whether it runs compiled
 * or not, under the Functions host (the deployed package keeps both at its root) or the local host.
 */
export function findProjectRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'host.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`No project root (package.json beside host.json) above ${from}.`);
  }
}

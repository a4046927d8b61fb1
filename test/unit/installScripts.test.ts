import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm ci`, the README's first command, warns about every dependency whose install script `allowScripts` in
 * package.json does not cover (npm 11.16 and later), and npm 12 skips those scripts. The lock file marks each
 * dependency that has one (`hasInstallScript`), so the two are compared here rather than by running npm.
 */
const ROOT = join(__dirname, '..', '..');
const readJson = (name: string) => JSON.parse(readFileSync(join(ROOT, name), 'utf8')) as Record<string, unknown>;

describe('install scripts of the locked dependencies', () => {
  it('are each named in package.json allowScripts, so npm ci neither warns about nor skips them', () => {
    const lock = readJson('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
    const allowScripts = (readJson('package.json').allowScripts ?? {}) as Record<string, boolean>;

    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));

    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in allowScripts))).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Where `Promise.all` over a list is allowed: the helper itself, and the health probes, a list the code fixes. */
const ALLOWED = new Set(['shared/concurrently.ts', 'shared/operations/checkHealth.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('fan-out in shared/', () => {
  it('goes through mapConcurrently: no Promise.all over a list, only over a few calls written out', () => {
    const unbounded = sourceFiles(join(ROOT, 'shared')).flatMap((path) => {
      const file = relative(ROOT, path).split('\\').join('/');
      if (ALLOWED.has(file)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/Promise\.all\((?!\s*\[)/.test(line) ? [`${file}:${index + 1}`] : []));
    });
    expect(unbounded).toEqual([]);
  });
});

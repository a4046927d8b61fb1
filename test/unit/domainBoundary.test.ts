import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** DESIGN §1: the pure core imports nothing from another shared/ folder (nor Azure, Graph or the environment). */
const DOMAIN = resolve(__dirname, '../../shared/domain');
/** Packages the core may use: time, validation, and hashing for deterministic ids. */
const ALLOWED_PACKAGES = new Set(['luxon', 'zod', 'node:crypto']);

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const importsOf = (source: string) => [...source.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]!);

describe('the domain boundary', () => {
  it('has every file of shared/domain import only from shared/domain or the allowed packages', () => {
    const outside = sourceFiles(DOMAIN).flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter((specifier) => (specifier.startsWith('.') ? relative(DOMAIN, resolve(dirname(file), specifier)).startsWith('..') : !ALLOWED_PACKAGES.has(specifier)))
        .map((specifier) => `${relative(DOMAIN, file)} imports ${specifier}`),
    );
    expect(outside).toEqual([]);
  });
});

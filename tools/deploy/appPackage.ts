import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { zipSync, type ZipOptions } from 'fflate';

/**
 * `npm run package`: the zip Azure Functions runs, as the Functions host loads it: host.json and package.json at the
 * root, the compiled functions that package.json's `main` names, the compiled shared code they import, and the
 * production dependencies only (no TypeScript sources, tests, tools or dev dependencies). The dependencies are
 * copied from the installed node_modules by the lock file, so packaging needs no network and ships exactly what
 * the tests ran against. azure.yaml deploys the staged folder.
 */
export interface AppPackage {
  folder: string;
  zipPath: string;
  files: number;
  bytes: number;
}

interface LockFile {
  packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean; link?: boolean }>;
}

/** The compiled folders the functions need: their own, and the shared code (nothing under tools/ or test/). */
const COMPILED = ['dist/functions', 'dist/shared', 'dist/portal'];
/** The portal bundle is served as it is (scripts, styles, its manifest); of the compiled code only scripts go. */
const keeps = (path: string) => statSync(path).isDirectory() || path.endsWith('.js') || (path.includes(`${sep}portal${sep}`) && !path.endsWith('.map'));

/**
 * How hard the zip is compressed: 6 for the package that is deployed; a test that checks what the zip holds may
 * store the files uncompressed (0), which takes a fraction of the time.
 */
export type CompressionLevel = NonNullable<ZipOptions['level']>;

export function buildAppPackage(root: string, outDir = join(root, '.deploy'), level: CompressionLevel = 6): AppPackage {
  for (const folder of COMPILED) {
    if (!existsSync(join(root, folder))) throw new Error(`${folder} is missing: run npm run build first (npm run package does).`);
  }
  const folder = join(outDir, 'package');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });

  cpSync(join(root, 'host.json'), join(folder, 'host.json'));
  writeFileSync(join(folder, 'package.json'), `${JSON.stringify(runtimeManifest(root), null, 2)}\n`);
  for (const compiled of COMPILED) {
    cpSync(join(root, compiled), join(folder, compiled), { recursive: true, filter: keeps });
  }
  for (const dependency of productionDependencies(root)) {
    cpSync(join(root, dependency), join(folder, dependency), { recursive: true, dereference: true });
  }

  const entries: Record<string, Uint8Array> = {};
  for (const path of filesUnder(folder)) entries[relative(folder, path).split(sep).join('/')] = readFileSync(path);
  const zip = zipSync(entries, { level });
  const zipPath = join(outDir, 'portcullis.zip');
  writeFileSync(zipPath, zip);
  return { folder, zipPath, files: Object.keys(entries).length, bytes: zip.length };
}

/** package.json as the host reads it: `main` says where the functions are; nothing that only development needs. */
function runtimeManifest(root: string): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const { name, version, description, license, main, engines, dependencies, overrides } = manifest;
  return { name, version, description, license, main, engines, dependencies, overrides };
}

/** The node_modules paths the lock file marks as needed at run time (not dev, not dev-optional). */
function productionDependencies(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as LockFile;
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.devOptional && !entry.link)
    // A nested path (node_modules/a/node_modules/b) is copied with its parent.
    .filter(([path]) => !path.slice('node_modules/'.length).includes('/node_modules/'))
    .filter(([path]) => existsSync(join(root, path)))
    .map(([path]) => path);
}

function* filesUnder(folder: string): Generator<string> {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

if (require.main === module) {
  // Compiled to dist/tools/deploy: the project root is three folders up.
  const root = join(__dirname, '..', '..', '..');
  const built = buildAppPackage(root);
  process.stdout.write(`Packaged ${built.files} files (${(built.bytes / 1e6).toFixed(1)} MB zipped): ${built.zipPath}\n`);
}

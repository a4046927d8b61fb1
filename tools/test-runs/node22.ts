import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Node 22, Azure's runtime, as the npm registry's `node` package installs it (a devDependency): its preinstall
 * fetches node-<platform>-<arch> from the registry and links the binary into the package's bin folder.
 */
export function node22Binary(): string {
  const manifestPath = require.resolve('node/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: { node: string } };
  return join(dirname(manifestPath), manifest.bin.node);
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

/** What `npm run build` wrote for the portal (tools/portal-build): the entry files, by their hashed names. */
export interface PortalBundle {
  script: string;
  stylesheet: string;
  /** Every file under assets/, by name: the only files the portal function will ever read. */
  assets: ReadonlyMap<string, { path: string; contentType: string }>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** Where the bundle is: `dist/portal` beside the app's package.json, as deployed and under `npm start`. */
export function portalBundleDirectory(from = __dirname): string {
  let directory = from;
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`No package.json above ${from}.`);
    directory = parent;
  }
  return join(directory, 'dist', 'portal');
}

/**
 * Reads the bundle's manifest and lists its assets once. Asset names come from the directory listing, so a
 * requested name either is one of those files or is not served: no path can reach outside the bundle.
 * Undefined when the portal has not been built.
 */
export function loadPortalBundle(directory = portalBundleDirectory()): PortalBundle | undefined {
  const manifestPath = join(directory, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { script: string; stylesheet: string };
  const assets = new Map<string, { path: string; contentType: string }>();
  for (const entry of readdirSync(join(directory, 'assets'), { withFileTypes: true })) {
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (entry.isFile() && contentType) assets.set(entry.name, { path: join(directory, 'assets', entry.name), contentType });
  }
  return { script: manifest.script, stylesheet: manifest.stylesheet, assets };
}

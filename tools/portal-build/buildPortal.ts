import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { build } from 'esbuild';
import { webDarkTheme, webLightTheme } from '@fluentui/tokens';

/** Fluent 2's design tokens as CSS custom properties, dark when the system asks for it. */
export function themeCss(): string {
  const declarations = (theme: Record<string, string | number>) =>
    Object.entries(theme)
      .map(([name, value]) => `--${name}:${value};`)
      .join('');
  return [
    `:root{color-scheme:light dark;${declarations(webLightTheme)}}`,
    `@media (prefers-color-scheme: dark){:root{${declarations(webDarkTheme)}}}`,
  ].join('\n');
}

/**
 * Bundles the portal (portal/src/main.tsx and what it imports) into `outDirectory/assets` with content-hashed
 * names, and writes `manifest.json` naming the entry script and stylesheet for the page (shared/portal).
 */
export async function buildPortal(root: string, outDirectory = join(root, 'dist', 'portal')): Promise<{ script: string; stylesheet: string }> {
  rmSync(outDirectory, { recursive: true, force: true });
  mkdirSync(join(outDirectory, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'portal', 'src', 'main.tsx')],
    bundle: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari16'],
    minify: true,
    sourcemap: true,
    outdir: join(outDirectory, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    banner: { css: themeCss() },
    metafile: true,
    logLevel: 'warning',
    legalComments: 'eof',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => relative(outDirectory, join(root, path)).split('\\').join('/'));
  const script = outputs.find((path) => /^assets\/main-[^/]+\.js$/.test(path));
  const stylesheet = outputs.find((path) => /^assets\/main-[^/]+\.css$/.test(path));
  if (!script || !stylesheet) throw new Error(`The portal bundle lacks its script or stylesheet: ${outputs.join(', ')}`);
  const manifest = { script, stylesheet };
  writeFileSync(join(outDirectory, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`My Access portal: ${basename(script)}, ${basename(stylesheet)} in ${relative(root, outDirectory)}\n`);
  return manifest;
}

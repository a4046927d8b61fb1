import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { glob } from 'tinyglobby';
import { registeredFunctions, type RegisteredFunction } from '../../shared/hosting/registry';

export { findProjectRoot } from '../../shared/hosting/appRoot';

/** Loads the function files named by package.json `main`, as the Functions host does, and returns what they registered. */
export async function loadFunctions(projectRoot: string): Promise<RegisteredFunction[]> {
  const { main } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!main) throw new Error('package.json has no "main": the Functions host would load no functions.');
  const files = await glob(main, { cwd: projectRoot, absolute: true });
  if (files.length === 0) throw new Error(`package.json "main" (${main}) matches no file: run "npm run build" first.`);
  withoutTestModeWarnings(() => {
    for (const file of files.sort()) require(file);
  });
  return registeredFunctions();
}

/**
 * Outside the Functions host, `@azure/functions` warns that it is in test mode and skips each registration. The
 * local host serves those functions itself, so the warnings would mislead; they are dropped while loading.
 */
function withoutTestModeWarnings(load: () => void): void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /^WARNING: .*(test mode|Azure Functions runtime)/.test(args[0])) return;
    warn(...args);
  };
  try {
    load();
  } finally {
    console.warn = warn;
  }
}

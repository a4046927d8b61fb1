import { findProjectRoot } from '../local-host/loadFunctions';
import { buildPortal } from './buildPortal';

/** `npm run build`, after tsc: bundles the My Access portal into dist/portal. */
buildPortal(findProjectRoot()).catch((error: unknown) => {
  process.stderr.write(`The My Access portal did not build: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

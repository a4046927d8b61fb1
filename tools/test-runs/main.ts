import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { node22Binary } from './node22';

/**
 * `npm test`: the whole suite on the Node that runs npm (this machine's), then again on Node 22, Azure's runtime,
 * from the npm registry's `node` package (a devDependency: `npm ci` installs its binary). The second pass runs the
 * parts whose behaviour rests on Node itself (unit, integration against Azurite, the Graph contract, which also runs
 * the compiled host) and the e2e suites of the host process (signals, shutdown) and the HTTP edge; the rest of e2e
 * and of integration drives the same code through the same SDKs, and would push `npm test` past its 10-minute bound
 * (DESIGN §2.1).
 * Arguments (`npm test -- test/unit/x.test.ts`) replace both selections.
 */
const NODE_22_SELECTION = [
  'test/unit',
  'test/contract',
  // Of the integration suites, those whose behaviour rests on Node and the Azure SDKs rather than on Portcullis's
  // own logic (tables, transactions and ETags, blobs, queues, JWT, the host's start); the rest run on Node 20.
  'test/integration/tables.test.ts',
  'test/integration/documentTable.test.ts',
  'test/integration/grantStore.test.ts',
  'test/integration/graphWriteBudget.test.ts',
  'test/integration/auditArchive.test.ts',
  'test/integration/auditLogPaging.test.ts',
  'test/integration/queueDispatcher.test.ts',
  'test/integration/poisonVisibility.test.ts',
  'test/integration/bearerTokens.test.ts',
  'test/integration/health.test.ts',
  'test/integration/localHost.test.ts',
  'test/e2e/localHost.test.ts',
  'test/e2e/httpEdge.test.ts',
];

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const jest = jestBin();
  // npm puts node_modules/.bin first on PATH, and the node package links Node 22 there: npm's own Node is named here.
  const machineNode = process.env.npm_node_execpath ?? process.execPath;
  const machineVersion = versionOf(machineNode);
  const passes = [{ node: machineNode, version: machineVersion, selection: args }];
  if (!machineVersion.startsWith('v22.')) {
    const node22 = node22Binary();
    passes.push({ node: node22, version: versionOf(node22), selection: args.length ? args : NODE_22_SELECTION });
  }

  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  let failedPass = false;
  for (const pass of passes) {
    process.stdout.write(`\nTests on Node ${pass.version}${pass.selection.length ? `: ${pass.selection.join(' ')}` : ': the whole suite'}\n`);
    const { code, counts } = await runJest(pass.node, jest, pass.selection);
    if (code !== 0 || !counts) failedPass = true;
    if (counts) for (const key of ['passed', 'failed', 'skipped'] as const) total[key] += counts[key];
  }
  process.stdout.write(`Node versions tested: ${passes.map((pass) => pass.version).join(', ')}\n`);
  // The closing line CI reads (test/support/summaryReporter.js), over both passes.
  process.stdout.write(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  return failedPass ? 1 : 0;
}

/** Jest's command-line entry, as its package.json names it (its exports map does not open bin/ to require). */
function jestBin(): string {
  const manifestPath = require.resolve('jest/package.json');
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: string | Record<string, string> };
  return join(dirname(manifestPath), typeof bin === 'string' ? bin : bin.jest!);
}

function versionOf(node: string): string {
  const result = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${node} does not run (${result.error?.message ?? result.stderr}); run npm ci, which installs Node 22 from the npm registry`);
  }
  return result.stdout.trim();
}

function runJest(node: string, jest: string, selection: readonly string[]): Promise<{ code: number; counts?: Counts }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [jest, ...selection], { stdio: ['inherit', 'pipe', 'inherit'] });
    let counts: Counts | undefined;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^tests: (\d+) passed, (\d+) failed, (\d+) skipped$/.exec(line.trim());
        if (match) counts = { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3]) };
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, counts }));
  });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);

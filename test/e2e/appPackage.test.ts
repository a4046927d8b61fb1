import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { glob } from 'tinyglobby';
import { buildAppPackage } from '../../tools/deploy/appPackage';
import { node22Binary } from '../../tools/test-runs/node22';

/**
 * `npm run package` makes the zip that Azure runs. Checked as the Functions host would take it: unpacked, with
 * package.json's `main` glob finding every compiled function, each of which loads with only what the zip holds.
 * Needs the compiled dist/ (npm test compiles it first).
 */
const root = join(__dirname, '..', '..');
let out: string;
let unpacked: string;
let files: string[];

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'portcullis-package-'));
  // Stored, not deflated: the same files as `npm run package` zips, in a fraction of the time.
  const built = buildAppPackage(root, join(out, 'deploy'), 0);
  const entries = unzipSync(readFileSync(built.zipPath));
  files = Object.keys(entries);
  unpacked = join(out, 'unpacked');
  for (const [name, content] of Object.entries(entries)) {
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), content);
  }
}, 120_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

const ownFiles = () => files.filter((name) => !name.startsWith('node_modules/'));

/** Runs `node -e script` in `cwd` without blocking the test process, so the two Nodes below load at once. */
function runNode(node: string, script: string, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['-e', script], { cwd, env: { PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the deployment package (npm run package)', () => {
  it('has host.json and package.json at the root, host.json unchanged', () => {
    expect(files).toEqual(expect.arrayContaining(['host.json', 'package.json']));
    expect(JSON.parse(readFileSync(join(unpacked, 'host.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')));
  });

  it("finds, through package.json's main glob, exactly one compiled file per function source", async () => {
    const { main } = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { main: string };
    const found = (await glob(main, { cwd: unpacked })).sort();
    const sources = readdirSync(join(root, 'functions')).filter((name) => name.endsWith('.ts'));
    expect(found).toEqual(sources.map((name) => `dist/functions/${name.replace(/\.ts$/, '.js')}`).sort());
  });

  it('holds no sources, tests, tools, source maps or development manifest fields', () => {
    const shipped = (name: string) => /^dist\/(functions|shared)\/.+\.js$/.test(name) || /^dist\/portal\/(manifest\.json|assets\/[^/]+\.(js|css))$/.test(name);
    expect(ownFiles().filter((name) => !shipped(name) && !['host.json', 'package.json'].includes(name))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(manifest)).not.toEqual(expect.arrayContaining(['devDependencies']));
    expect(manifest).not.toHaveProperty('scripts');
    expect(manifest).not.toHaveProperty('devDependencies');
  });

  it('holds every production dependency and no development one', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const shipped = new Set(files.filter((name) => name.startsWith('node_modules/')).map((name) => name.split('/').slice(1, name.startsWith('node_modules/@') ? 3 : 2).join('/')));
    for (const name of Object.keys(manifest.dependencies)) expect(shipped).toContain(name);
    for (const name of Object.keys(manifest.devDependencies)) expect(shipped).not.toContain(name);
  });

  it('holds the My Access bundle the portal function serves', () => {
    const manifest = JSON.parse(readFileSync(join(unpacked, 'dist/portal/manifest.json'), 'utf8')) as object;
    const assets = ownFiles().filter((name) => name.startsWith('dist/portal/assets/'));
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) expect(JSON.stringify(manifest)).toContain(asset.split('/').pop());
  });

  it.concurrent.each([
    ['this Node', process.execPath],
    ['Node 22, as Azure runs it', node22Binary()],
  ])('loads every function on %s, with only what the zip holds', async (_which, node) => {
    const { main } = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { main: string };
    const entryPoints = await glob(main, { cwd: unpacked });
    // A fresh Node in the unpacked folder: no NODE_PATH, nothing from the repository's node_modules.
    const script = `for (const file of ${JSON.stringify(entryPoints)}) require('./' + file); process.stdout.write(process.version);`;
    const result = await runNode(node, script, unpacked);
    expect(result.stderr).not.toMatch(/Cannot find module|Error:/);
    expect(result.status).toBe(0);
    // The last line: loading may print first (the functions library says so when HTTP streaming is on).
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(node === process.execPath ? process.version : /^v22\./);
  });
});

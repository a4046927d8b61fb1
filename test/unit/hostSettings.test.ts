import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsError } from '../../shared/settings';
import { applyLocalSettingsFile, disabledFunctions, loadHostSettings } from '../../tools/local-host/hostSettings';

function projectWith(settings: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-settings-'));
  writeFileSync(join(dir, 'local.settings.json'), settings);
  return dir;
}

describe('local host settings', () => {
  it('copies Values of local.settings.json into the environment, leaving variables already set alone', () => {
    const env: NodeJS.ProcessEnv = { PORT: '9000' };
    const dir = projectWith(JSON.stringify({ IsEncrypted: false, Values: { PORT: '8000', AUTH_MODE: 'jwt' } }));
    expect(applyLocalSettingsFile(dir, env)).toBe(join(dir, 'local.settings.json'));
    expect(env).toEqual({ PORT: '9000', AUTH_MODE: 'jwt' });
  });

  it('takes the file\'s value for a variable set empty, as empty counts as unset', () => {
    const env: NodeJS.ProcessEnv = { PORT: '', MAIL_SENDER: '' };
    applyLocalSettingsFile(projectWith(JSON.stringify({ Values: { PORT: '8000', MAIL_SENDER: 'admin@contoso.com' } })), env);
    expect(env).toEqual({ PORT: '8000', MAIL_SENDER: 'admin@contoso.com' });
  });

  it('does nothing without a settings file', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(applyLocalSettingsFile(mkdtempSync(join(tmpdir(), 'portcullis-empty-')), env)).toBeUndefined();
    expect(env).toEqual({});
  });

  it.each([
    ['a file that is not JSON', '{ Values: ', 'not valid JSON'],
    ['Values that are not an object', '{"Values": []}', 'Values must be an object'],
    ['a value that is not a string', '{"Values": {"PORT": 7071}}', 'Values.PORT must be a string'],
  ])('refuses %s, naming the file', (_situation, content, message) => {
    expect(() => applyLocalSettingsFile(projectWith(content), {})).toThrow(SettingsError);
    expect(() => applyLocalSettingsFile(projectWith(content), {})).toThrow(message);
  });

  it('starts embedded storage when the storage setting is unset or the development shorthand', () => {
    expect(loadHostSettings({})).toMatchObject({ PORT: 7071, HOST: '127.0.0.1', embeddedStorage: true });
    expect(loadHostSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).embeddedStorage).toBe(true);
    expect(loadHostSettings({ AzureWebJobsStorage: 'AccountName=a;AccountKey=b' }).embeddedStorage).toBe(false);
  });

  it('takes PORT=0 as any free port', () => {
    expect(loadHostSettings({ PORT: '0' }).PORT).toBe(0);
  });

  it.each(['-1', '65536', 'http', '80.5'])('refuses PORT=%s, naming it', (port) => {
    expect(() => loadHostSettings({ PORT: port })).toThrow(/PORT: must be/);
  });

  it('runs one process taking queue messages unless WORKERS says more', () => {
    expect(loadHostSettings({}).WORKERS).toBe(1);
    expect(loadHostSettings({ WORKERS: '4' }).WORKERS).toBe(4);
  });

  it.each(['0', '17', 'many', '2.5'])('refuses WORKERS=%s, naming it', (workers) => {
    expect(() => loadHostSettings({ WORKERS: workers })).toThrow(/WORKERS: must be a whole number from 1 to 16/);
  });
});

describe('functions disabled by app settings', () => {
  it('reads AzureWebJobs.<name>.Disabled set to true, in any case, and nothing else', () => {
    const disabled = disabledFunctions({
      'AzureWebJobs.expirationSweep.Disabled': 'true',
      'AzureWebJobs.reconcileSweep.Disabled': ' TRUE ',
      'AzureWebJobs.autoAssignmentSweep.Disabled': 'false',
      'AzureWebJobs.reportArchive.Disabled': '1',
      'AzureWebJobs.health.Enabled': 'true',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });
    expect([...disabled].sort()).toEqual(['expirationSweep', 'reconcileSweep']);
  });
});

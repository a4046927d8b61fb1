import { z } from 'zod';
import { signingKeyFromPem, type SigningKey } from './domain/archive/digestSigning';
import { parseWebhookSecrets, type WebhookKey } from './domain/hrEvents/webhookSignature';
import { DEFAULT_WRITE_BUDGET, WRITE_BUDGET_FORM } from './domain/writeBudget';
import { type Environment, parseSettings, portSetting, SettingsError } from './settings';
import { identityStorageSchema, storageSettingsOf, type StorageSettings } from './storageSettings';

/**
 * The service's settings (DESIGN §2.2), validated once. A missing or malformed setting stops start-up with a
 * message that names it.
 */
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const storageConnectionString = z.string().refine(
  (value) => value === 'UseDevelopmentStorage=true' || isAccountConnectionString(value),
  'must be UseDevelopmentStorage=true or a storage connection string with AccountName and AccountKey, or a TableEndpoint',
);

const httpUrl = (what: string) =>
  z.url({ protocol: /^https?$/, message: `must be an http(s) URL of ${what}` });

/**
 * The key set decides which tokens are genuine, so it is fetched over https only: over http, anyone on the path could
 * serve their own keys. http is allowed for loopback, where no network lies in between (tests serve keys there).
 */
const jwksUrl = httpUrl('the JSON Web Key Set that signs tokens').refine(
  (value) => {
    // The URL check above reports a value that is no URL; this one judges only what parses.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.protocol === 'https:' || isLoopback(url.hostname);
  },
  'must be an https URL (http only for localhost, 127.0.0.0/8 or [::1])',
);

const schema = z
  .object({
    // Or the identity-based form (AzureWebJobsStorage__accountName …), as a deployment without account keys has it.
    AzureWebJobsStorage: storageConnectionString.optional(),
    ...identityStorageSchema,
    GRAPH_BASE_URL: httpUrl('Microsoft Graph, for example https://graph.microsoft.com').optional(),
    GRAPH_EMULATOR_PORT: portSetting.default(7072),
    DIRECTORY_SEED: z.string().optional(),
    // No default: trusting x-ms-client-principal is safe only behind App Service Authentication, so a deployment
    // must say so. The local host sets easyauth when it is unset.
    AUTH_MODE: z.enum(['easyauth', 'jwt'], { message: "must be 'easyauth' or 'jwt'" }),
    AUTH_JWKS_URL: jwksUrl.optional(),
    AUTH_ISSUER: z.string().optional(),
    AUTH_AUDIENCE: z.string().optional(),
    TENANT_ID: z.string().regex(guid, 'must be a GUID').optional(),
    // Space-separated `whsec_` secrets (rotation); decoded once here into keys. Unset: every HR event gets 401.
    HR_WEBHOOK_SECRET: z
      .string()
      .transform((value, ctx) => {
        try {
          return parseWebhookSecrets(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
    // The Ed25519 key that signs archive digests, read once here. Unset: the local host makes one; in Azure the archive
    // run refuses, naming it (the rest of the service runs).
    ARCHIVE_SIGNING_KEY: z
      .string()
      .transform((value, ctx) => {
        try {
          return signingKeyFromPem(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
    ARCHIVE_SETTLE_SECONDS: z.coerce.number({ message: 'must be a number of seconds' }).int('must be whole seconds').min(0, 'must be 0 or more').max(3600, 'must be at most 3600 (an hour)').default(120),
    // A joiner HR event whose account does not exist yet is retried after this long, then twice as long each time.
    HR_JOINER_RETRY_SECONDS: z.coerce.number({ message: 'must be a number of seconds' }).int('must be whole seconds').min(1, 'must be 1 or more').max(3600, 'must be at most 3600 (an hour)').default(60),
    AUDIT_RETENTION_DAYS: z.coerce.number({ message: 'must be a number of days' }).int('must be whole days').min(0, 'must be 0 (keep forever) or more').default(90),
    // Directory writes per window, shared by every instance (shared/domain/writeBudget.ts); read once here.
    GRAPH_WRITE_BUDGET: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return DEFAULT_WRITE_BUDGET;
        const match = WRITE_BUDGET_FORM.exec(value.trim());
        const writes = Number(match?.[1]);
        const seconds = Number(match?.[2]);
        if (!match || writes < 100 || writes > 18_000 || seconds < 10 || seconds > 3_600) {
          ctx.addIssue({ code: 'custom', message: "must be '<writes>/<seconds>' with 100 to 18000 writes per 10 to 3600 seconds, for example '2700/150'" });
          return z.NEVER;
        }
        return { writes, windowMs: seconds * 1000 };
      }),
    MAIL_SENDER: z.string().optional(),
    RECONCILE_REMOVES_UNGRANTED: z.enum(['true', 'false'], { message: "must be 'true' or 'false'" }).optional().transform((value) => value === 'true'),
    AZURE_TENANT_ID: z.string().optional(),
    AZURE_CLIENT_ID: z.string().optional(),
    AZURE_CLIENT_SECRET: z.string().optional(),
    // App Service sets it on every app it runs, so it tells a deployment in Azure from a machine running npm start.
    WEBSITE_SITE_NAME: z.string().optional(),
    TABLE_PREFIX: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,19}$/, 'must be a letter followed by at most 19 letters or digits')
      .optional(),
  })
  .superRefine((settings, ctx) => {
    if (settings.AUTH_MODE === 'jwt') {
      for (const name of ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const) {
        if (!settings[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when AUTH_MODE is jwt' });
      }
    }
    if (settings.WEBSITE_SITE_NAME && !settings.GRAPH_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['GRAPH_BASE_URL'],
        message: 'is required when running in Azure; the Graph emulator exists only under npm start',
      });
    }
    if (settings.GRAPH_BASE_URL && !settings.TENANT_ID) {
      ctx.addIssue({ code: 'custom', path: ['TENANT_ID'], message: 'is required when GRAPH_BASE_URL is set' });
    }
  });

/** Every setting the service reads (the deployment template is checked against these). */
export const settingNames: readonly string[] = Object.keys(schema.shape);

export type Config = Omit<z.infer<typeof schema>, 'HR_WEBHOOK_SECRET' | 'ARCHIVE_SIGNING_KEY'> & {
  /** The archive's signing key, read from ARCHIVE_SIGNING_KEY; undefined when it is unset. */
  archiveSigningKey: SigningKey | undefined;
  /** The HR webhook's signing keys, decoded from HR_WEBHOOK_SECRET; none when it is unset. */
  hrWebhookKeys: readonly WebhookKey[];
  /** Where Graph is: GRAPH_BASE_URL, or the Graph emulator on GRAPH_EMULATOR_PORT when that is unset. */
  graphBaseUrl: string;
  usesGraphEmulator: boolean;
  /** The storage account, by connection string or by identity. */
  storage: StorageSettings;
};

export function loadConfig(env: Environment): Config {
  // Which storage form is meant is judged on its own, so its problem is listed with every other one.
  const storage = storageSettingsOf(Object.fromEntries(Object.entries(env).filter(([, value]) => value)));
  const storageProblems = 'problem' in storage ? [`${storage.problem.path}: ${storage.problem.message}`] : [];
  let parsed: z.infer<typeof schema>;
  try {
    parsed = parseSettings(schema, env);
  } catch (error) {
    if (error instanceof SettingsError) throw new SettingsError([...storageProblems, ...error.problems]);
    throw error;
  }
  if ('problem' in storage) throw new SettingsError(storageProblems);
  const { HR_WEBHOOK_SECRET, ARCHIVE_SIGNING_KEY, ...settings } = parsed;
  return {
    ...settings,
    storage,
    archiveSigningKey: ARCHIVE_SIGNING_KEY,
    hrWebhookKeys: HR_WEBHOOK_SECRET ?? [],
    graphBaseUrl: (settings.GRAPH_BASE_URL ?? `http://127.0.0.1:${settings.GRAPH_EMULATOR_PORT}`).replace(/\/+$/, ''),
    usesGraphEmulator: settings.GRAPH_BASE_URL === undefined,
  };
}

let current: Config | undefined;

/** The process's configuration, read from the environment on first use. */
export function getConfig(): Config {
  current ??= loadConfig(process.env);
  return current;
}

function isAccountConnectionString(value: string): boolean {
  const fields = new Map(
    value
      .split(';')
      .filter((part) => part.includes('='))
      .map((part) => [part.slice(0, part.indexOf('=')).trim().toLowerCase(), part.slice(part.indexOf('=') + 1)]),
  );
  return (fields.has('accountname') && fields.has('accountkey')) || fields.has('tableendpoint');
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

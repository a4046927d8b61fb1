import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { AuthenticationHandler, Client, HTTPMessageHandler, type Middleware } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { Config } from '../config';
import { GraphDirectory } from './graphDirectory';
import { GraphTransport } from './graphTransport';
import type { RetryPolicy } from './retryPolicy';
import type { WriteTokens } from './writeTokens';

/** What it takes to reach Graph; the emulator needs only the URL. */
export type GraphConnection = Pick<Config, 'graphBaseUrl' | 'usesGraphEmulator'> &
  Partial<Pick<Config, 'TENANT_ID' | 'AZURE_TENANT_ID' | 'AZURE_CLIENT_ID' | 'AZURE_CLIENT_SECRET' | 'MAIL_SENDER'>>;

/** The directory the configuration points at. Only the Graph emulator grants site roles to users. */
export function createGraphDirectory(config: GraphConnection, retry?: RetryPolicy, writeTokens?: WriteTokens): GraphDirectory {
  return new GraphDirectory(createGraphTransport(config, retry, writeTokens), {
    mailSender: config.MAIL_SENDER,
    siteRoles: config.usesGraphEmulator ? 'emulated' : 'unsupported',
  });
}

/**
 * Calls to the configured Graph. Against real Graph, tokens come from a client secret when AZURE_CLIENT_SECRET is
 * set, else from the managed identity; the emulator needs none. Retries are the transport's own (they also cover
 * requests inside `$batch`), so the client's retry handler is left out of the chain.
 */
export function createGraphTransport(config: GraphConnection, retry?: RetryPolicy, writeTokens?: WriteTokens): GraphTransport {
  const middleware: Middleware[] = [];
  if (!config.usesGraphEmulator) {
    const scopes = [`${new URL(config.graphBaseUrl).origin}/.default`];
    middleware.push(new AuthenticationHandler(new TokenCredentialAuthenticationProvider(credentialFor(config), { scopes })));
  }
  middleware.push(new HTTPMessageHandler());
  const client = Client.initWithMiddleware({ baseUrl: `${config.graphBaseUrl}/`, defaultVersion: 'v1.0', middleware });
  return new GraphTransport({ client, baseUrl: config.graphBaseUrl, retry, writeTokens });
}

function credentialFor(config: GraphConnection): TokenCredential {
  if (config.AZURE_CLIENT_SECRET && config.AZURE_CLIENT_ID) {
    return new ClientSecretCredential(config.AZURE_TENANT_ID ?? config.TENANT_ID ?? '', config.AZURE_CLIENT_ID, config.AZURE_CLIENT_SECRET);
  }
  return config.AZURE_CLIENT_ID ? new ManagedIdentityCredential({ clientId: config.AZURE_CLIENT_ID }) : new ManagedIdentityCredential();
}

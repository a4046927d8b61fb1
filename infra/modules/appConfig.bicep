// Every app setting of DESIGN §2.2 that a deployment needs, and App Service Authentication (Easy Auth).
// test/unit/deploymentSettings.test.ts reads the block between the app-settings markers: keep one setting a line.
param siteName string
param identityClientId string
param storageAccountName string
param appInsightsConnectionString string
param hrWebhookSecretReference string
param archiveSigningKeyReference string
param graphBaseUrl string
param tenantId string
@allowed(['easyauth', 'jwt'])
param authMode string
param authClientId string
param authIdentifierUri string
param mailSender string
@allowed(['true', 'false'])
param reconcileRemovesUngranted string
param graphWriteBudget string
param tablePrefix string
param archiveSettleSeconds int
param auditRetentionDays int

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

var loginEndpoint = environment().authentication.loginEndpoint

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // app-settings:begin
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    GRAPH_BASE_URL: graphBaseUrl
    TENANT_ID: tenantId
    AZURE_CLIENT_ID: identityClientId
    AUTH_MODE: authMode
    AUTH_JWKS_URL: '${loginEndpoint}${tenantId}/discovery/v2.0/keys'
    AUTH_ISSUER: '${loginEndpoint}${tenantId}/v2.0'
    AUTH_AUDIENCE: authClientId
    HR_WEBHOOK_SECRET: hrWebhookSecretReference
    ARCHIVE_SIGNING_KEY: archiveSigningKeyReference
    ARCHIVE_SETTLE_SECONDS: string(archiveSettleSeconds)
    AUDIT_RETENTION_DAYS: string(auditRetentionDays)
    MAIL_SENDER: mailSender
    RECONCILE_REMOVES_UNGRANTED: reconcileRemovesUngranted
    GRAPH_WRITE_BUDGET: graphWriteBudget
    TABLE_PREFIX: tablePrefix
    OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
    WEBSITE_AUTH_AAD_ALLOWED_TENANTS: tenantId
    // app-settings:end
  }
}

// easyauth: the platform signs people in and passes x-ms-client-principal; a request without a session or a
// token is answered 401 before it reaches the app. The portal is reached through the sign-in link
// (/.auth/login/aad?post_login_redirect_uri=/myaccess), which redirects to Entra ID and back. Health and the HR
// webhook (which proves itself by signature) stay open. jwt: the platform stays out and the app validates
// bearer tokens against AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  dependsOn: [appSettings]
  properties: {
    platform: { enabled: authMode == 'easyauth' }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: ['/api/health', '/api/hr/events']
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: { convention: 'NoProxy' }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${loginEndpoint}${tenantId}/v2.0'
          // Not a secret: the name of the setting holding the managed identity's client id (federated credential).
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
        }
        validation: {
          allowedAudiences: [authClientId, authIdentifierUri]
        }
      }
    }
    login: {
      // Flex Consumption has no shared file system for a token store; the session cookie carries the sign-in.
      tokenStore: { enabled: false }
    }
  }
}

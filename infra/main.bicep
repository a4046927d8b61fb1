// Portcullis on Azure: `azd up` provisions this, then deploys the package (azure.yaml). Subscription scope: it
// makes its own resource group. What each part is for, and what it costs at rest, is in the README
// ("Deploy to Azure").
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region: one that offers Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of whoever runs the deployment: gets storage data roles and may write Key Vault secrets (npm run init-secrets). Empty for none.')
param principalId string = deployer().objectId

@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('The governed directory (TENANT_ID). Empty: the tenant of the subscription, the only one the Graph grants and sign-in here reach.')
param governedTenantId string = ''

@description('Microsoft Graph (GRAPH_BASE_URL).')
param graphBaseUrl string = 'https://graph.microsoft.com'

@description('Grant the managed identity its Microsoft Graph application permissions here (needs Privileged Role Administrator). false: run npm run grant-graph-permissions later, as such an administrator.')
param grantGraphPermissions bool = true

@allowed(['easyauth', 'jwt'])
@description('easyauth: App Service Authentication signs people in (portal and API). jwt: the app validates bearer tokens itself.')
param authMode string = 'easyauth'

@description('Client id of an existing Entra app registration to sign in to. Empty: this deployment creates one (needs Application Developer).')
param authClientId string = ''

@description('Application ID URI of that existing registration (an extra accepted audience). Empty: api://<authClientId>.')
param authIdentifierUri string = ''

@description('Mailbox notifications are sent from (MAIL_SENDER); empty sends none.')
param mailSender string = ''

@allowed(['true', 'false'])
param reconcileRemovesUngranted string = 'false'

@description('Directory writes per seconds all instances share (GRAPH_WRITE_BUDGET): 90% of Graph\'s 3,000 per 150 s.')
param graphWriteBudget string = '2700/150'

@description('Prefix of every table name (TABLE_PREFIX), to share one account between deployments.')
param tablePrefix string = ''

@description('Days each audit-archive blob stays write-once (time-based immutability).')
@minValue(1)
param archiveImmutabilityDays int = 365

@description('Lock the audit-archive immutability policy after provisioning (irreversible: compliance mode). Unlocked by default.')
param lockArchiveImmutability bool = false

param archiveSettleSeconds int = 120
@description('Days archived audit events stay in the hot table (AUDIT_RETENTION_DAYS); 0 keeps them.')
param auditRetentionDays int = 90

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = 'func-portcullis-${token}'
var createSignInApp = empty(authClientId)
var tenantToGovern = empty(governedTenantId) ? tenant().tenantId : governedTenantId

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  scope: group
  name: 'identity'
  params: { name: 'id-portcullis-${token}', location: location, tags: tags }
}

module storage 'modules/storage.bicep' = {
  scope: group
  name: 'storage'
  params: {
    name: 'stportcullis${take(token, 12)}'
    location: location
    tags: tags
    appIdentityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    deploymentContainerName: 'app-package'
    archiveImmutabilityDays: archiveImmutabilityDays
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: group
  name: 'monitoring'
  params: {
    workspaceName: 'log-portcullis-${token}'
    insightsName: 'appi-portcullis-${token}'
    location: location
    tags: tags
    appIdentityPrincipalId: identity.outputs.principalId
  }
}

module vault 'modules/keyVault.bicep' = {
  scope: group
  name: 'keyVault'
  params: {
    name: 'kv-portcullis-${take(token, 9)}'
    location: location
    tags: tags
    appIdentityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module functionApp 'modules/functionApp.bicep' = {
  scope: group
  name: 'functionApp'
  params: {
    name: appName
    planName: 'plan-portcullis-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: 'app-package'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module signInApp 'modules/signInApp.bicep' = if (createSignInApp) {
  scope: group
  name: 'signInApp'
  params: {
    uniqueName: 'portcullis-${token}'
    displayName: 'Portcullis (${environmentName})'
    hostName: functionApp.outputs.hostName
    appIdentityPrincipalId: identity.outputs.principalId
  }
}

var signInClientId = createSignInApp ? signInApp!.outputs.clientId : authClientId
var signInIdentifierUri = createSignInApp
  ? signInApp!.outputs.identifierUri
  : (empty(authIdentifierUri) ? 'api://${authClientId}' : authIdentifierUri)

module appConfig 'modules/appConfig.bicep' = {
  scope: group
  name: 'appConfig'
  params: {
    siteName: functionApp.outputs.name
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    appInsightsConnectionString: monitoring.outputs.connectionString
    hrWebhookSecretReference: vault.outputs.hrWebhookSecretReference
    archiveSigningKeyReference: vault.outputs.archiveSigningKeyReference
    graphBaseUrl: graphBaseUrl
    tenantId: tenantToGovern
    authMode: authMode
    authClientId: signInClientId
    authIdentifierUri: signInIdentifierUri
    mailSender: mailSender
    reconcileRemovesUngranted: reconcileRemovesUngranted
    graphWriteBudget: graphWriteBudget
    tablePrefix: tablePrefix
    archiveSettleSeconds: archiveSettleSeconds
    auditRetentionDays: auditRetentionDays
  }
}

module graphPermissions 'modules/graphPermissions.bicep' = if (grantGraphPermissions) {
  scope: group
  name: 'graphPermissions'
  params: { appIdentityPrincipalId: identity.outputs.principalId }
}

// azd stores these in the environment (.azure/<env>/.env); the hook scripts and the README read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = group.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = 'https://${functionApp.outputs.hostName}'
output PORTAL_SIGN_IN_URL string = 'https://${functionApp.outputs.hostName}/.auth/login/aad?post_login_redirect_uri=/myaccess'
output AUTH_CLIENT_ID string = signInClientId
output APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APP_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output KEY_VAULT_URI string = vault.outputs.uri
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output ARCHIVE_IMMUTABILITY_POLICY_ID string = storage.outputs.archiveImmutabilityPolicyId
output ARCHIVE_LOCK_IMMUTABILITY bool = lockArchiveImmutability
output GRAPH_PERMISSIONS_GRANTED bool = grantGraphPermissions

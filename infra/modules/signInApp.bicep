// The Entra app registration people and programs sign in to (Easy Auth, or the audience of jwt mode). It has no
// secret: Easy Auth proves the app's identity with the user-assigned managed identity, trusted through a
// federated identity credential. Needs the deployer to hold Application Developer (or Cloud Application
// Administrator); skip it by passing an existing registration's client id as authClientId.
extension microsoftGraphV1

param uniqueName string
param displayName string
param hostName string
param appIdentityPrincipalId string

var loginEndpoint = environment().authentication.loginEndpoint
var issuer = '${loginEndpoint}${tenant().tenantId}/v2.0'
var userReadScope = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d' // Microsoft Graph User.Read (delegated): sign in and read the profile

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  identifierUris: ['api://${tenant().tenantId}/${uniqueName}']
  api: {
    // v2 tokens: aud is the client id, iss is the v2.0 issuer that AUTH_ISSUER names in jwt mode.
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: guid(uniqueName, 'user_impersonation')
        value: 'user_impersonation'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use Portcullis as the signed-in user'
        adminConsentDescription: 'Lets a client call Portcullis on behalf of the signed-in user.'
        userConsentDisplayName: 'Use Portcullis as you'
        userConsentDescription: 'Lets the app call Portcullis with your identity.'
      }
    ]
  }
  web: {
    redirectUris: ['https://${hostName}/.auth/login/aad/callback']
    implicitGrantSettings: { enableIdTokenIssuance: true }
  }
  requiredResourceAccess: [
    {
      resourceAppId: '00000003-0000-0000-c000-000000000000'
      resourceAccess: [{ id: userReadScope, type: 'Scope' }]
    }
  ]
}

resource trustAppIdentity 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {
  name: '${app.uniqueName}/app-managed-identity'
  audiences: ['api://AzureADTokenExchange']
  issuer: issuer
  subject: appIdentityPrincipalId
  description: 'Easy Auth signs users in with the function app\'s managed identity instead of a client secret.'
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

output clientId string = app.appId
output identifierUri string = 'api://${tenant().tenantId}/${uniqueName}'

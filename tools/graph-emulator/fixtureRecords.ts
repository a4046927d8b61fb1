import type { GroupProperties, OrganizationProperties, ServicePrincipalProperties, SiteProperties } from './directoryRecords';
import type { FixtureGroup, FixtureServicePrincipal, FixtureSite, TenantFixture } from './fixture';

/**
 * The Graph properties of the fixture's groups, applications, sites and organization, with what Graph would fill
 * in. Users have theirs in userProperties.ts.
 */
export function organizationFromFixture(seed: TenantFixture): { organization: OrganizationProperties; initialDomain: string } {
  const domains = seed.domains ?? [];
  const firstLabel = (domains[0] ?? 'contoso.com').split('.')[0] ?? 'contoso';
  const initialDomain = domains.find((d) => d.toLowerCase().endsWith('.onmicrosoft.com')) ?? `${firstLabel}.onmicrosoft.com`;
  return {
    initialDomain,
    organization: {
      id: seed.tenantId.toLowerCase(),
      displayName: firstLabel.charAt(0).toUpperCase() + firstLabel.slice(1),
      tenantType: 'AAD',
      verifiedDomains: [...new Set([...domains, initialDomain])].map((name, i) => ({
        name,
        isDefault: i === 0,
        isInitial: name === initialDomain,
        type: 'Managed',
        capabilities: 'Email, OfficeCommunicationsOnline',
      })),
    },
  };
}

/** A mail-enabled group gets an address on the default domain, from its display name. */
export function groupFromFixture(group: FixtureGroup, defaultDomain: string, createdDateTime: string): GroupProperties {
  const mailNickname = group.displayName.replace(/[^A-Za-z0-9]/g, '') || 'group';
  const mailEnabled = group.mailEnabled ?? false;
  return {
    id: group.id.toLowerCase(),
    displayName: group.displayName,
    description: group.description ?? null,
    mail: mailEnabled ? `${mailNickname}@${defaultDomain}` : null,
    mailNickname,
    mailEnabled,
    securityEnabled: group.securityEnabled ?? true,
    groupTypes: group.groupTypes ?? [],
    createdDateTime,
  };
}

export function servicePrincipalFromFixture(app: FixtureServicePrincipal): ServicePrincipalProperties {
  return {
    id: app.id.toLowerCase(),
    appId: app.appId.toLowerCase(),
    displayName: app.displayName,
    accountEnabled: true,
    servicePrincipalType: 'Application',
    appRoles: (app.appRoles ?? []).map((role) => ({
      allowedMemberTypes: role.allowedMemberTypes ?? ['User'],
      description: role.description ?? null,
      displayName: role.displayName,
      id: role.id.toLowerCase(),
      isEnabled: role.isEnabled ?? true,
      origin: 'Application',
      value: role.value ?? null,
    })),
  };
}

/** A site's `name` is the last segment of its URL, as SharePoint names it. */
export function siteFromFixture(site: FixtureSite, createdDateTime: string): SiteProperties {
  return {
    id: site.id,
    displayName: site.displayName,
    name: new URL(site.webUrl).pathname.split('/').filter(Boolean).pop() ?? site.displayName,
    webUrl: site.webUrl,
    createdDateTime,
  };
}

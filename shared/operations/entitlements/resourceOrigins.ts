import type { DirectoryPort } from '../../directory/directoryPort';
import { DEFAULT_ACCESS_ROLE_ID } from '../../directory/graphDirectory';
import { DomainError } from '../../domain/errors';
import type { OriginSystem } from '../../domain/entitlements';

/** A resource as the directory describes it, with the roles a package can grant and its root scope. */
export interface ResourceOrigin {
  displayName: string;
  description: string | null;
  roles: Array<{ originId: string; displayName: string; description: string | null }>;
  rootScope: { originId: string; displayName: string; description: string };
}

/** SharePoint's default site groups, by their usual ids, and the site permission each grants. */
export const SITE_ROLES = [
  { originId: '3', displayName: 'Owners', description: 'Full control of the site', permission: 'owner' },
  { originId: '5', displayName: 'Members', description: 'Can edit the site', permission: 'write' },
  { originId: '4', displayName: 'Visitors', description: 'Can read the site', permission: 'read' },
] as const;

/** Reads a resource from the directory; one that is not there is a 404 naming it. */
export async function readResourceOrigin(directory: DirectoryPort, originSystem: OriginSystem, originId: string): Promise<ResourceOrigin> {
  const missing = () => new DomainError('notFound', `No ${originSystem} resource '${originId}' exists in the directory.`);
  const root = (id: string) => ({ originId: id, displayName: 'Root', description: 'Root Scope' });
  switch (originSystem) {
    case 'AadGroup': {
      const group = await directory.getGroup(originId);
      if (!group) throw missing();
      return {
        displayName: group.displayName,
        description: group.description,
        roles: [
          { originId: `Owner_${group.id}`, displayName: 'Owner', description: null },
          { originId: `Member_${group.id}`, displayName: 'Member', description: null },
        ],
        rootScope: root(group.id),
      };
    }
    case 'AadApplication': {
      const app = await directory.getApplication(originId);
      if (!app) throw missing();
      const userRoles = app.appRoles.filter((r) => r.isEnabled && r.allowedMemberTypes.includes('User'));
      return {
        displayName: app.displayName,
        description: null,
        roles:
          userRoles.length > 0
            ? userRoles.map((r) => ({ originId: r.id, displayName: r.displayName, description: r.description }))
            : [{ originId: DEFAULT_ACCESS_ROLE_ID, displayName: 'Default Access', description: null }],
        rootScope: root(app.id),
      };
    }
    case 'SharePointOnline': {
      // Entitlement management names a site by its URL; a site id is taken too.
      const site = /^https:\/\//i.test(originId) ? await directory.getSiteByUrl(originId) : await directory.getSite(originId);
      if (!site) throw missing();
      return {
        displayName: site.displayName,
        description: null,
        roles: SITE_ROLES.map(({ originId: id, displayName, description }) => ({ originId: id, displayName, description })),
        rootScope: { originId: site.webUrl, displayName: 'Root', description: 'Root Scope' },
      };
    }
  }
}

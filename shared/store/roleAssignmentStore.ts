import { DocumentTable, type StoredDocument } from './documentTable';
import { LocatedTable } from './locatedTable';
import type { Tables } from './tables';

/** Graph's unifiedRoleAssignment, for entitlement management's roles. */
export interface RoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  /** `/` (tenant) or `/AccessPackageCatalog/{catalogId}`. */
  appScopeId: string;
  directoryScopeId: string;
  condition: null;
  createdDateTime: string;
}

/**
 * Role assignments, kept by principal: every authorization decision reads the caller's assignments, one
 * partition read; found by id for DELETE through a locator.
 */
export class RoleAssignmentStore {
  readonly assignments: LocatedTable<RoleAssignment>;

  constructor(tables: Tables) {
    this.assignments = new LocatedTable(
      new DocumentTable(() => tables.get('roleAssignments'), 'role assignment'),
      new DocumentTable(() => tables.get('roleAssignmentLocators'), 'role assignment'),
    );
  }

  async ofPrincipal(principalId: string): Promise<RoleAssignment[]> {
    return (await this.assignments.list({ partitionId: principalId.toLowerCase() })).map((d) => d.value);
  }

  find(id: string): Promise<StoredDocument<RoleAssignment> | undefined> {
    return this.assignments.find(id);
  }

  /** Every assignment: a scan, for the listing of an administrator or a catalog's owner. */
  async all(): Promise<RoleAssignment[]> {
    return (await this.assignments.list()).map((d) => d.value);
  }

  /** The assignments at one scope (a catalog's): a scan, for deleting the catalog. */
  async atScope(appScopeId: string): Promise<StoredDocument<RoleAssignment>[]> {
    return (await this.assignments.list()).filter((d) => d.value.appScopeId === appScopeId);
  }

  insert(assignment: RoleAssignment): Promise<StoredDocument<RoleAssignment>> {
    return this.assignments.insert(assignment.principalId, assignment.id, assignment);
  }

  delete(document: StoredDocument<RoleAssignment>): Promise<void> {
    return this.assignments.delete(document);
  }
}

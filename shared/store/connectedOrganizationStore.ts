import { identityKeyOf, type IdentityKey, type StoredConnectedOrganization } from '../domain/connectedOrganizations/connectedOrganization';
import { DomainError, isDomainError } from '../domain/errors';
import { DocumentTable, writeDocumentsTogether, type StoredDocument } from './documentTable';
import { rowKeysUnder } from './odataFilter';
import { tableKey, type TableKey } from './tableKeys';
import type { Tables } from './tables';

/** The row that holds a tenant id or domain for the one organization that has it. */
interface IdentityClaim {
  organizationId: string;
}

const PARTITION = tableKey('connectedOrganizations');
const organizationKey = (id: string): TableKey => tableKey('organization', id.toLowerCase());
/** Where an organization's row is (for the audit of its creation: auditedChange.ts). */
export const organizationRow = (id: string) => ({ partitionKey: PARTITION, rowKey: organizationKey(id) });
const claimKey = (key: IdentityKey): TableKey => tableKey(key.kind, key.value);

/**
 * Connected organizations, all in one partition: each organization's row, and beside it a claim row per tenant id
 * or domain it is known by. An organization and its claims are written and deleted in one transaction, so two
 * organizations with the same tenant or domain cannot both be created, however close together (the second insert
 * of the claim fails the second transaction whole).
 */
export class ConnectedOrganizationStore {
  readonly #organizations: DocumentTable<StoredConnectedOrganization>;
  readonly #claims: DocumentTable<IdentityClaim>;

  constructor(tables: Tables) {
    // One table function for both, so their writes can go in one transaction (writeDocumentsTogether).
    const table = () => tables.get('connectedOrganizations');
    this.#organizations = new DocumentTable(table, 'connected organization');
    this.#claims = new DocumentTable(table, 'connected organization identity');
  }

  get(id: string): Promise<StoredDocument<StoredConnectedOrganization> | undefined> {
    return this.#organizations.get(PARTITION, organizationKey(id));
  }

  async list(): Promise<StoredDocument<StoredConnectedOrganization>[]> {
    return this.#organizations.list({ partitionKey: PARTITION, filter: rowKeysUnder('organization') });
  }

  /** The organization that claims the tenant id or domain, if any. */
  async findByIdentity(key: IdentityKey): Promise<StoredDocument<StoredConnectedOrganization> | undefined> {
    const claim = await this.#claims.get(PARTITION, claimKey(key));
    return claim && this.get(claim.value.organizationId);
  }

  /** Inserts the organization with its claims; `conflict` (409) when another organization holds one of them. */
  async insert(organization: StoredConnectedOrganization): Promise<StoredDocument<StoredConnectedOrganization>> {
    const keys = organization.identitySources.map(identityKeyOf);
    try {
      const [stored] = await writeDocumentsTogether(
        [
          this.#organizations.insertion(PARTITION, organizationKey(organization.id), organization),
          ...keys.map((key) => this.#claims.insertion(PARTITION, claimKey(key), { organizationId: organization.id })),
        ],
        'connected organization',
      );
      return stored as StoredDocument<StoredConnectedOrganization>;
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'alreadyExists')) throw error;
      // An organization has one identity source, so this is one read.
      let holder: StoredDocument<StoredConnectedOrganization> | undefined;
      for (const key of keys) holder ??= await this.findByIdentity(key);
      const named = keys.map((key) => `${key.kind} '${key.value}'`).join(', ');
      throw new DomainError('conflict', `A connected organization ${holder ? `('${holder.value.id}') ` : ''}already has ${named}.`, { cause: error });
    }
  }

  /** Replaces the organization on its ETag; its identity sources never change (the operations refuse that). */
  replace(document: StoredDocument<StoredConnectedOrganization>, organization: StoredConnectedOrganization): Promise<StoredDocument<StoredConnectedOrganization>> {
    return this.#organizations.replace(document, organization);
  }

  /** Deletes the organization and releases its claims, together. */
  async delete(document: StoredDocument<StoredConnectedOrganization>): Promise<void> {
    await writeDocumentsTogether(
      [this.#organizations.deletion(document), ...document.value.identitySources.map((source) => this.#claims.deletion({ partitionKey: PARTITION, rowKey: claimKey(identityKeyOf(source)) }))],
      'connected organization',
    );
  }
}

import type { DirectoryPort } from '../directory/directoryPort';
import type { Clock } from '../domain/clock';

/** Directory roles that administer entitlement management (DESIGN §2.4). */
export const ADMINISTRATOR_ROLE_IDS: ReadonlySet<string> = new Set([
  '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e', // Identity Governance Administrator
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
]);

/** Directory roles that read or administer lifecycle workflows (reference graph-wave2 §3.4). */
export const WORKFLOW_WRITER_ROLE_IDS: ReadonlySet<string> = new Set([
  '59d46f88-662b-457b-bceb-5c3809e5908f', // Lifecycle Workflows Administrator
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
]);
export const WORKFLOW_READER_ROLE_IDS: ReadonlySet<string> = new Set([
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451', // Global Reader
]);
/** Directory roles that read the whole tenant's audit events and reports (DESIGN §2.4), beside the administrators. */
export const AUDIT_READER_ROLE_IDS: ReadonlySet<string> = new Set([
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451', // Global Reader
  '4a5d8f65-41da-4de4-8968-e035b65339cf', // Reports Reader
]);
export const AUDIT_READ_PERMISSION = 'AuditLog.Read.All';
export const WORKFLOWS_READ_WRITE_PERMISSION = 'LifecycleWorkflows.ReadWrite.All';
export const WORKFLOWS_READ_PERMISSION = 'LifecycleWorkflows.Read.All';

export const READ_WRITE_PERMISSION = 'EntitlementManagement.ReadWrite.All';
export const READ_PERMISSION = 'EntitlementManagement.Read.All';

/**
 * Whether a user holds an administrator role, read from the directory and remembered briefly: role changes take
 * effect within `ttlMs` (Entra itself allows up to 15 minutes), and a burst of calls costs one directory read.
 */
export class AdministratorRoles {
  readonly #cache = new Map<string, { roleIds: readonly string[]; until: number }>();

  constructor(
    private readonly directory: DirectoryPort,
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
  ) {}

  async isAdministrator(userId: string): Promise<boolean> {
    return (await this.roleIds(userId)).some((role) => ADMINISTRATOR_ROLE_IDS.has(role));
  }

  /** What the user's directory roles let them do with lifecycle workflows. */
  async workflowRole(userId: string): Promise<'read' | 'write' | null> {
    const roles = await this.roleIds(userId);
    if (roles.some((role) => WORKFLOW_WRITER_ROLE_IDS.has(role))) return 'write';
    return roles.some((role) => WORKFLOW_READER_ROLE_IDS.has(role)) ? 'read' : null;
  }

  /** Whether the user's directory roles let them read every audit event and report of the tenant. */
  async readsAudit(userId: string): Promise<boolean> {
    return (await this.roleIds(userId)).some((role) => AUDIT_READER_ROLE_IDS.has(role) || ADMINISTRATOR_ROLE_IDS.has(role));
  }

  async roleIds(userId: string): Promise<readonly string[]> {
    const now = this.clock.now().toMillis();
    const cached = this.#cache.get(userId);
    if (cached && cached.until > now) return cached.roleIds;
    const roleIds = await this.directory.getDirectoryRoleIds(userId);
    this.#cache.set(userId, { roleIds, until: now + this.ttlMs });
    return roleIds;
  }
}

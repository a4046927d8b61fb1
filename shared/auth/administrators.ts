import type { DirectoryPort } from '../directory/directoryPort';
import type { Clock } from '../domain/clock';

/** Directory roles that administer entitlement management (DESIGN §2.4). */
export const ADMINISTRATOR_ROLE_IDS: ReadonlySet<string> = new Set([
  '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e', // Identity Governance Administrator
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
]);

export const READ_WRITE_PERMISSION = 'EntitlementManagement.ReadWrite.All';
export const READ_PERMISSION = 'EntitlementManagement.Read.All';

/**
 * Whether a user holds an administrator role, read from the directory and remembered briefly: role changes take
 * effect within `ttlMs` (Entra itself allows up to 15 minutes), and a burst of calls costs one directory read.
 */
export class AdministratorRoles {
  readonly #cache = new Map<string, { isAdministrator: boolean; until: number }>();

  constructor(
    private readonly directory: DirectoryPort,
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
  ) {}

  async isAdministrator(userId: string): Promise<boolean> {
    const now = this.clock.now().toMillis();
    const cached = this.#cache.get(userId);
    if (cached && cached.until > now) return cached.isAdministrator;
    const roles = await this.directory.getDirectoryRoleIds(userId);
    const isAdministrator = roles.some((role) => ADMINISTRATOR_ROLE_IDS.has(role));
    this.#cache.set(userId, { isAdministrator, until: now + this.ttlMs });
    return isAdministrator;
  }
}

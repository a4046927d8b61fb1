import { AnswerLog, call, clientPrincipal, EM, type Answer } from './chaosApi';
import type { ChaosTenant } from './chaosTenant';

const POLICY_KINDS = ['adminOnly', 'selfService', 'withApproval'] as const;
type PolicyKind = (typeof POLICY_KINDS)[number];

interface PackageModel {
  id: string;
  /** Role scope id to the group whose Member role it grants. */
  roleScopes: Map<string, string>;
  policies: Map<string, PolicyKind>;
  renames: number;
}

/** A change the API acknowledged (2xx): its audit event must exist. `action` may end with `.` (any outcome). */
export interface AcknowledgedChange {
  action: string;
  entityId: string;
}

const OPERATIONS = {
  createPackage: 4,
  updatePackage: 3,
  addRoleScope: 4,
  removeRoleScope: 4,
  createPolicy: 3,
  replacePolicy: 3,
  deletePolicy: 3,
  adminAdd: 20,
  userAdd: 12,
  approve: 7,
  deny: 4,
  cancel: 5,
  adminRemove: 10,
  addMemberByHand: 2,
} as const;
export type OperationName = keyof typeof OPERATIONS;

/** Hand-added memberships are tried this many times through injected faults before the generator gives up. */
const HAND_ADD_ATTEMPTS = 10;
const MAX_PACKAGES = 12;

/**
 * The realistic mix of the chaos run: catalog and package changes, requests, approvals and denials,
 * cancellations, direct assignments and removals, policy changes and deletions, role scopes added and removed, and
 * members added to governed groups by hand in the directory. Choices come from the seeded generator; what exists
 * to choose from is what the API has acknowledged so far.
 */
export class LoadGenerator {
  readonly operationsDone: Record<string, number> = {};
  readonly acknowledged: AcknowledgedChange[] = [];
  /** Group id to the users added to it by hand (the seed's members are in `tenant.seedMembers`). */
  readonly handAdded = new Map<string, Set<string>>();
  /** The directory's answers to the hand-made changes: Graph's, not Portcullis's, so kept apart. */
  readonly directoryAnswers = new AnswerLog();
  readonly #packages: PackageModel[] = [];
  readonly #pending: Array<{ id: string; requestorId: string }> = [];
  #catalogId = '';

  constructor(
    private readonly tenant: ChaosTenant,
    private readonly api: () => string,
    private readonly emulatorUrl: string,
    private readonly log: AnswerLog,
    private readonly random: () => number,
  ) {}

  /** The catalog with the governed groups as resources and one package of each policy kind; before any fault. */
  async setUp(): Promise<void> {
    const catalog = await this.#admin('setUp', 'POST', `${EM}/catalogs`, { displayName: 'Chaos', state: 'published' });
    if (catalog.status !== 201) throw new Error(`Could not create the chaos catalog: ${catalog.status} ${JSON.stringify(catalog.body)}`);
    this.#catalogId = catalog.body.id;
    for (const groupId of this.tenant.governedGroups) {
      const added = await this.#admin('setUp', 'POST', `${EM}/resourceRequests`, {
        requestType: 'adminAdd',
        resource: { originId: groupId, originSystem: 'AadGroup' },
        catalog: { id: this.#catalogId },
      });
      if (added.status !== 201) throw new Error(`Could not add group ${groupId} to the catalog: ${added.status} ${JSON.stringify(added.body)}`);
    }
    for (const kind of POLICY_KINDS) await this.#createPackage(kind);
  }

  /** The next operation, drawn from the mix; drawing is synchronous, so concurrent workers share one sequence. */
  next(): OperationName {
    const total = Object.values(OPERATIONS).reduce((a, b) => a + b, 0);
    let draw = this.random() * total;
    for (const [name, weight] of Object.entries(OPERATIONS)) {
      draw -= weight;
      if (draw < 0) return name as OperationName;
    }
    return 'adminAdd';
  }

  async run(operation: OperationName): Promise<void> {
    this.operationsDone[operation] = (this.operationsDone[operation] ?? 0) + 1;
    switch (operation) {
      case 'createPackage':
        if (this.#packages.length < MAX_PACKAGES) return this.#createPackage(this.#pick(POLICY_KINDS) ?? 'adminOnly');
        return this.#updatePackage();
      case 'updatePackage':
        return this.#updatePackage();
      case 'addRoleScope':
        return this.#addRoleScope(this.#pick(this.#packages));
      case 'removeRoleScope':
        return this.#removeRoleScope();
      case 'createPolicy':
        return this.#createPolicy(this.#pick(this.#packages), this.#pick(POLICY_KINDS));
      case 'replacePolicy':
        return this.#replacePolicy();
      case 'deletePolicy':
        return this.#deletePolicy();
      case 'adminAdd':
        return this.#adminAdd();
      case 'userAdd':
        return this.#userAdd();
      case 'approve':
        return this.#decide('Approve');
      case 'deny':
        return this.#decide('Deny');
      case 'cancel':
        return this.#cancel();
      case 'adminRemove':
        return this.#adminRemove();
      case 'addMemberByHand':
        return this.#addMemberByHand();
    }
  }

  async #createPackage(kind: PolicyKind): Promise<void> {
    const created = await this.#admin('createPackage', 'POST', `${EM}/accessPackages`, {
      displayName: `Chaos package ${this.#packages.length + 1}`,
      catalog: { id: this.#catalogId },
    });
    if (created.status !== 201) return;
    const model: PackageModel = { id: created.body.id, roleScopes: new Map(), policies: new Map(), renames: 0 };
    this.#packages.push(model);
    this.#acknowledge('createAccessPackage', model.id);
    await this.#addRoleScope(model);
    await this.#createPolicy(model, kind);
  }

  async #updatePackage(): Promise<void> {
    const model = this.#pick(this.#packages);
    if (!model) return;
    model.renames += 1;
    const answer = await this.#admin('updatePackage', 'PATCH', `${EM}/accessPackages/${model.id}`, { description: `Renamed ${model.renames} times` });
    if (ok(answer)) this.#acknowledge('updateAccessPackage', model.id);
  }

  async #addRoleScope(model: PackageModel | undefined): Promise<void> {
    if (!model) return;
    const groupId = this.#pick(this.tenant.governedGroups.filter((g) => ![...model.roleScopes.values()].includes(g)));
    if (!groupId) return;
    const answer = await this.#admin('addRoleScope', 'POST', `${EM}/accessPackages/${model.id}/resourceRoleScopes`, {
      role: { originId: `Member_${groupId}`, originSystem: 'AadGroup' },
      scope: { originId: groupId, originSystem: 'AadGroup' },
    });
    if (answer.status !== 201) return;
    model.roleScopes.set(answer.body.id, groupId);
    this.#acknowledge('addResourceRoleScope', model.id);
  }

  async #removeRoleScope(): Promise<void> {
    const model = this.#pick(this.#packages.filter((p) => p.roleScopes.size > 0));
    const roleScopeId = model && this.#pick([...model.roleScopes.keys()]);
    if (!model || !roleScopeId) return;
    const answer = await this.#admin('removeRoleScope', 'DELETE', `${EM}/accessPackages/${model.id}/resourceRoleScopes/${roleScopeId}`);
    if (ok(answer) || answer.status === 404) model.roleScopes.delete(roleScopeId);
    if (ok(answer)) this.#acknowledge('removeResourceRoleScope', model.id);
  }

  async #createPolicy(model: PackageModel | undefined, kind: PolicyKind | undefined): Promise<void> {
    if (!model || !kind) return;
    const answer = await this.#admin('createPolicy', 'POST', `${EM}/assignmentPolicies`, this.#policyBody(model, kind, 'P30D'));
    if (answer.status !== 201) return;
    model.policies.set(answer.body.id, kind);
    this.#acknowledge('createAssignmentPolicy', answer.body.id);
  }

  async #replacePolicy(): Promise<void> {
    const model = this.#pick(this.#packages.filter((p) => p.policies.size > 0));
    const policyId = model && this.#pick([...model.policies.keys()]);
    if (!model || !policyId) return;
    const duration = this.random() < 0.5 ? 'P30D' : 'P60D';
    const answer = await this.#admin('replacePolicy', 'PUT', `${EM}/assignmentPolicies/${policyId}`, this.#policyBody(model, model.policies.get(policyId)!, duration));
    if (ok(answer)) this.#acknowledge('replaceAssignmentPolicy', policyId);
    if (answer.status === 404) model.policies.delete(policyId);
  }

  async #deletePolicy(): Promise<void> {
    const model = this.#pick(this.#packages.filter((p) => p.policies.size > 1));
    const policyId = model && this.#pick([...model.policies.keys()]);
    if (!model || !policyId) return;
    const answer = await this.#admin('deletePolicy', 'DELETE', `${EM}/assignmentPolicies/${policyId}`);
    if (ok(answer) || answer.status === 404) model.policies.delete(policyId);
    if (ok(answer)) this.#acknowledge('deleteAssignmentPolicy', policyId);
  }

  async #adminAdd(): Promise<void> {
    const choice = this.#policyOf((kind) => kind === 'adminOnly');
    const targetId = this.#pick(this.tenant.targets);
    if (!choice || !targetId) return;
    const answer = await this.#admin('adminAdd', 'POST', `${EM}/assignmentRequests`, {
      requestType: 'adminAdd',
      assignment: { targetId, assignmentPolicyId: choice.policyId, accessPackageId: choice.packageId },
    });
    if (answer.status === 201) this.#acknowledge('submitRequest', answer.body.id);
  }

  async #userAdd(): Promise<void> {
    const choice = this.#policyOf((kind) => kind !== 'adminOnly');
    const targetId = this.#pick(this.tenant.targets);
    if (!choice || !targetId) return;
    const answer = await this.#as(targetId, 'userAdd', 'POST', `${EM}/assignmentRequests`, {
      requestType: 'userAdd',
      justification: 'Chaos run',
      assignment: { targetId, assignmentPolicyId: choice.policyId, accessPackageId: choice.packageId },
    });
    if (answer.status !== 201) return;
    this.#acknowledge('submitRequest', answer.body.id);
    if (answer.body.state === 'pendingApproval' || answer.body.state === 'submitted') this.#pending.push({ id: answer.body.id, requestorId: targetId });
  }

  async #decide(reviewResult: 'Approve' | 'Deny'): Promise<void> {
    const approver = this.tenant.approver;
    const operation = reviewResult === 'Approve' ? 'approve' : 'deny';
    const waiting = await this.#as(approver, operation, 'GET', `${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`);
    const approvalId: string | undefined = this.#pick((waiting.body?.value ?? []).map((a: { id: string }) => a.id));
    if (!approvalId) return;
    const stages = await this.#as(approver, operation, 'GET', `${EM}/accessPackageAssignmentApprovals/${approvalId}/stages`);
    const stage = (stages.body?.value ?? []).find((s: { reviewResult: string }) => s.reviewResult === 'NotReviewed');
    if (!stage) return;
    const answer = await this.#as(approver, operation, 'PATCH', `${EM}/accessPackageAssignmentApprovals/${approvalId}/stages/${stage.id}`, {
      reviewResult,
      justification: 'Chaos run',
    });
    if (ok(answer)) this.#acknowledge('decideApprovalStage.', approvalId);
  }

  async #cancel(): Promise<void> {
    const index = Math.floor(this.random() * this.#pending.length);
    const [request] = this.#pending.splice(index, 1);
    if (!request) return;
    const answer = await this.#as(request.requestorId, 'cancel', 'POST', `${EM}/assignmentRequests/${request.id}/cancel`);
    if (ok(answer)) this.#acknowledge('cancelRequest', request.id);
  }

  async #adminRemove(): Promise<void> {
    const model = this.#pick(this.#packages);
    if (!model) return;
    const found = await this.#admin('adminRemove', 'GET', `${EM}/assignments?$filter=${encodeURIComponent(`accessPackage/id eq '${model.id}'`)}`);
    const active = (found.body?.value ?? []).filter((a: { state: string }) => a.state === 'delivered');
    const assignment: { id: string } | undefined = this.#pick(active);
    if (!assignment) return;
    const answer = await this.#admin('adminRemove', 'POST', `${EM}/assignmentRequests`, { requestType: 'adminRemove', assignment: { id: assignment.id } });
    if (answer.status === 201) this.#acknowledge('submitRequest', answer.body.id);
  }

  /** Straight into the directory, as an administrator in the Entra admin center would; faults apply, so retried. */
  async #addMemberByHand(): Promise<void> {
    const groupId = this.#pick(this.tenant.governedGroups);
    const userId = this.#pick(this.tenant.handAddable);
    if (!groupId || !userId || this.handAdded.get(groupId)?.has(userId)) return;
    for (let attempt = 0; attempt < HAND_ADD_ATTEMPTS; attempt++) {
      const answer = await call(this.directoryAnswers, 'addMemberByHand', this.emulatorUrl, 'POST', `/v1.0/groups/${groupId}/members/$ref`, {
        '@odata.id': `${this.emulatorUrl}/v1.0/directoryObjects/${userId}`,
      });
      if (ok(answer) || answer.status === 400) {
        if (ok(answer)) this.handAdded.set(groupId, (this.handAdded.get(groupId) ?? new Set()).add(userId));
        return;
      }
    }
  }

  #policyBody(model: PackageModel, kind: PolicyKind, duration: string): object {
    const expiration = { type: 'afterDuration', duration };
    const base = { displayName: `Chaos ${kind} policy`, expiration, accessPackage: { id: model.id } };
    if (kind === 'adminOnly') return { ...base, allowedTargetScope: 'notSpecified', requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] } };
    const selfService = { ...base, allowedTargetScope: 'allMemberUsers', requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true } };
    if (kind === 'selfService') return { ...selfService, requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] } };
    return {
      ...selfService,
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: this.tenant.approver }] }],
      },
    };
  }

  #policyOf(wanted: (kind: PolicyKind) => boolean): { packageId: string; policyId: string } | undefined {
    const choices = this.#packages.flatMap((p) => [...p.policies].filter(([, kind]) => wanted(kind)).map(([policyId]) => ({ packageId: p.id, policyId })));
    return this.#pick(choices);
  }

  #pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }

  #acknowledge(action: string, entityId: string): void {
    this.acknowledged.push({ action, entityId });
  }

  #admin(operation: string, method: string, path: string, body?: unknown): Promise<Answer> {
    return this.#as(this.tenant.admin, operation, method, path, body);
  }

  #as(objectId: string, operation: string, method: string, path: string, body?: unknown): Promise<Answer> {
    return call(this.log, operation, this.api(), method, path, body, clientPrincipal(objectId, this.tenant.tenantId));
  }
}

const ok = (answer: Answer) => answer.status >= 200 && answer.status < 300;

/** A caller of the Portcullis API as App Service Authentication would describe them, and the answers they got. */

export const EM = '/v1.0/identityGovernance/entitlementManagement';

/** The statuses the API documents (DESIGN §2.3 and shared/api/errorResponses.ts); 503 is a dependency's outage. */
export const DOCUMENTED_STATUSES: ReadonlySet<number> = new Set([200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 412, 413, 502, 503]);

const CALL_TIMEOUT_MS = 30_000;
const MAX_EXAMPLES = 20;

export interface Answer {
  /** The HTTP status, or 0 when no answer came (the host was killed or not yet up). */
  status: number;
  body: any;
}

export interface UndocumentedAnswer {
  operation: string;
  method: string;
  path: string;
  status: number;
  body: string;
}

/** Every answer the load generator received, by status, with the undocumented ones kept for the report. */
export class AnswerLog {
  readonly byStatus: Record<string, number> = {};
  /** The first few undocumented answers, with their bodies; `undocumentedCount` counts them all. */
  readonly undocumented: UndocumentedAnswer[] = [];
  undocumentedCount = 0;
  unanswered = 0;

  record(operation: string, method: string, path: string, answer: Answer, text: string): void {
    if (answer.status === 0) {
      this.unanswered += 1;
      return;
    }
    this.byStatus[answer.status] = (this.byStatus[answer.status] ?? 0) + 1;
    if (DOCUMENTED_STATUSES.has(answer.status)) return;
    this.undocumentedCount += 1;
    if (this.undocumented.length < MAX_EXAMPLES) this.undocumented.push({ operation, method, path, status: answer.status, body: text.slice(0, 300) });
  }
}

export function clientPrincipal(objectId: string, tenantId: string): string {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: objectId },
    { typ: 'tid', val: tenantId },
  ];
  return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
}

/** One call, never thrown: a connection refused or cut by a kill is status 0. */
export async function call(
  log: AnswerLog,
  operation: string,
  url: string,
  method: string,
  path: string,
  body?: unknown,
  principal?: string,
): Promise<Answer> {
  let answer: Answer;
  let text = '';
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(principal ? { 'x-ms-client-principal': principal } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    text = await response.text();
    answer = { status: response.status, body: parseJson(text) };
  } catch {
    answer = { status: 0, body: undefined };
  }
  log.record(operation, method, path, answer, text);
  return answer;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

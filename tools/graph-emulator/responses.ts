/** A Graph answer before it goes on the wire (or into a `$batch` response). */
export interface GraphResponse {
  status: number;
  /** Header names as Graph writes them in `$batch` responses: `Retry-After`, `Location`. */
  headers?: Record<string, string>;
  body?: unknown;
}

export const ok = (body: unknown): GraphResponse => ({ status: 200, body });
export const created = (body: unknown): GraphResponse => ({ status: 201, body });
export const noContent = (): GraphResponse => ({ status: 204 });
export const accepted = (): GraphResponse => ({ status: 202 });

/** The `@odata.context` Graph puts on a response: `https://…/v1.0/$metadata#users(id,displayName)/$entity`. */
export function odataContext(origin: string, entitySet: string, select?: readonly string[], entity = false): string {
  return `${origin}/v1.0/$metadata#${entitySet}${select ? `(${select.join(',')})` : ''}${entity ? '/$entity' : ''}`;
}

/** The content type Graph answers JSON with. */
export const GRAPH_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

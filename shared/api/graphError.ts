/** The error body Microsoft Graph answers with, so Graph clients surface our errors the way they surface Graph's. */
export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { 'request-id': string; date: string };
  };
}

export function graphErrorBody(code: string, message: string, requestId: string, now = new Date()): GraphErrorBody {
  return {
    error: {
      code,
      message,
      innerError: { 'request-id': requestId, date: now.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    },
  };
}

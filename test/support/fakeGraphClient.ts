import type { Client } from '@microsoft/microsoft-graph-client';

export interface FakeCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** A Graph client that answers every request with `respond`, recording what it was asked. */
export function fakeGraphClient(respond: (call: FakeCall) => Promise<unknown>): { client: Client; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const record = (call: FakeCall) => {
    calls.push(call);
    return respond(call);
  };
  const client = {
    api: (path: string) => {
      let signal: AbortSignal | undefined;
      const request = {
        option: (key: string, value: unknown) => {
          if (key === 'signal') signal = value as AbortSignal;
          return request;
        },
        get: () => record({ method: 'GET', path, signal }),
        post: (body: unknown) => record({ method: 'POST', path, body, signal }),
        patch: (body: unknown) => record({ method: 'PATCH', path, body, signal }),
        delete: () => record({ method: 'DELETE', path, signal }),
      };
      return request;
    },
  } as unknown as Client;
  return { client, calls };
}

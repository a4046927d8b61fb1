export interface RequestCounts {
  /** Top-level HTTP requests to /v1.0, `$batch` included. */
  roundTrips: number;
  /** Requests inside `$batch` bodies. */
  batchedRequests: number;
  faultsInjected: number;
  /**
   * By method and route, ids written `{id}`: `PATCH /v1.0/groups/{id}`; top-level and batched alike. At most
   * `MAX_COUNTED_ROUTES` keys: once they are taken, requests on further routes count under `OTHER_ROUTES`.
   */
  byRoute: Record<string, number>;
}

/** Paths that match no route keep their ids, so clients could otherwise grow the counts without end. */
export const MAX_COUNTED_ROUTES = 1000;
export const OTHER_ROUTES = '(other routes)';

/** What clients asked of the emulated Graph, for tests and benchmarks that count calls. */
export class RequestCounters {
  #roundTrips = 0;
  #batchedRequests = 0;
  #faultsInjected = 0;
  #byRoute = new Map<string, number>();

  roundTrip(route: string): void {
    this.#roundTrips++;
    this.#countRoute(route);
  }

  batched(route: string): void {
    this.#batchedRequests++;
    this.#countRoute(route);
  }

  faultInjected(): void {
    this.#faultsInjected++;
  }

  snapshot(): RequestCounts {
    return {
      roundTrips: this.#roundTrips,
      batchedRequests: this.#batchedRequests,
      faultsInjected: this.#faultsInjected,
      byRoute: Object.fromEntries(this.#byRoute),
    };
  }

  reset(): void {
    this.#roundTrips = 0;
    this.#batchedRequests = 0;
    this.#faultsInjected = 0;
    this.#byRoute.clear();
  }

  #countRoute(route: string): void {
    const key = this.#byRoute.has(route) || this.#byRoute.size < MAX_COUNTED_ROUTES - 1 ? route : OTHER_ROUTES;
    this.#byRoute.set(key, (this.#byRoute.get(key) ?? 0) + 1);
  }
}

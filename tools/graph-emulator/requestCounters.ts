export interface RequestCounts {
  /** Top-level HTTP requests to /v1.0, `$batch` included. */
  roundTrips: number;
  /** Requests inside `$batch` bodies. */
  batchedRequests: number;
  faultsInjected: number;
  /** By method and route, ids written `{id}`: `PATCH /v1.0/groups/{id}`; top-level and batched alike. */
  byRoute: Record<string, number>;
}

/** What clients asked of the emulated Graph, for tests and benchmarks that count calls. */
export class RequestCounters {
  #counts: RequestCounts = emptyCounts();

  roundTrip(route: string): void {
    this.#counts.roundTrips++;
    this.#countRoute(route);
  }

  batched(route: string): void {
    this.#counts.batchedRequests++;
    this.#countRoute(route);
  }

  faultInjected(): void {
    this.#counts.faultsInjected++;
  }

  snapshot(): RequestCounts {
    return { ...this.#counts, byRoute: { ...this.#counts.byRoute } };
  }

  reset(): void {
    this.#counts = emptyCounts();
  }

  #countRoute(route: string): void {
    this.#counts.byRoute[route] = (this.#counts.byRoute[route] ?? 0) + 1;
  }
}

const emptyCounts = (): RequestCounts => ({ roundTrips: 0, batchedRequests: 0, faultsInjected: 0, byRoute: {} });

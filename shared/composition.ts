import { getConfig, type Config } from './config';
import type { DependencyProbe } from './operations/checkHealth';
import { Tables } from './store/tables';

/** What the operations need, built once per worker from the configuration. */
export interface Deps {
  tables: Tables;
  dependencyProbes: DependencyProbe[];
}

export function buildDeps(config: Config): Deps {
  const tables = new Tables(config.AzureWebJobsStorage, config.TABLE_PREFIX);
  return {
    tables,
    dependencyProbes: [{ name: 'storage', probe: () => tables.probe() }],
  };
}

let deps: Deps | undefined;

export function getDeps(): Deps {
  deps ??= buildDeps(getConfig());
  return deps;
}

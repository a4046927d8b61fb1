import type { FilterNode } from './filterTree';

/** One expanded navigation property with its nested options. */
export interface ExpandItem {
  name: string;
  select?: string[];
  expand?: ExpandItem[];
  filter?: FilterNode;
}

/** A request's query options, checked against what the resource allows; names carry their declared spelling. */
export interface ODataQuery {
  filter?: FilterNode;
  select?: string[];
  expand: ExpandItem[];
  top?: number;
  orderBy: Array<{ property: string; descending: boolean }>;
  count: boolean;
  /** Opaque here; `pageOf` checks it. */
  skipToken?: string;
}

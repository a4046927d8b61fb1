export type { PropertyType, QueryCapabilities } from './capabilities';
export type { ComparisonOperator, FilterNode, Literal, StringFunction, ValueExpression } from './filterTree';
export type { ExpandItem, ODataQuery } from './parsedQuery';
export type { Page } from './paging';
export { parseODataQuery } from './queryOptions';
export { matchesFilter } from './filterEvaluator';
export { orderEntities } from './ordering';
export { selectProperties } from './select';
export { pageOf } from './paging';

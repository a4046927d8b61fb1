import { DateTime } from 'luxon';
import type { AuditSelection } from '../../store/auditLog';
import type { FilterNode, Literal } from '../odata';

/**
 * What of a `$filter` the audit table can apply itself: the bounds on `activityDateTime` and the equalities on
 * `correlationId` and `initiatedBy/user/id`, taken from the terms joined by `and` at the top (a term under `or` or
 * `not` narrows nothing for sure). The whole filter is still applied to each event read; this only keeps the read
 * to the events that can match.
 */
export function selectionOf(filter: FilterNode | undefined): AuditSelection {
  const selection: AuditSelection = {};
  for (const term of conjuncts(filter)) {
    if (term.kind !== 'comparison' || term.left.kind !== 'property') continue;
    const { path } = term.left;
    if (path === 'activityDateTime' && term.right.kind === 'dateTime') narrowTime(selection, term.operator, term.right);
    else if (term.operator === 'eq' && term.right.kind === 'string' && path === 'correlationId') selection.correlationId = term.right.value;
    else if (term.operator === 'eq' && term.right.kind === 'string' && path === 'initiatedBy/user/id') selection.initiatorId = term.right.value;
  }
  return selection;
}

function conjuncts(filter: FilterNode | undefined): FilterNode[] {
  if (filter === undefined) return [];
  return filter.kind === 'and' ? filter.operands.flatMap(conjuncts) : [filter];
}

/** `from` inclusive, `to` exclusive, kept at the narrowest of several bounds. */
function narrowTime(selection: AuditSelection, operator: string, literal: Extract<Literal, { kind: 'dateTime' }>): void {
  const at = DateTime.fromMillis(literal.epochMillis, { zone: 'utc' });
  const from = operator === 'ge' || operator === 'eq' ? at : operator === 'gt' ? at.plus({ milliseconds: 1 }) : undefined;
  const to = operator === 'lt' ? at : operator === 'le' || operator === 'eq' ? at.plus({ milliseconds: 1 }) : undefined;
  if (from && (!selection.from || from > selection.from)) selection.from = from;
  if (to && (!selection.to || to < selection.to)) selection.to = to;
}

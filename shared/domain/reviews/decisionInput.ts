import type { z } from 'zod';
import { enumIgnoringCase, graphObject, guid, optionalText } from '../policies/graphValues';
import { invalidBody, problemsOf } from '../policies/problems';
import { REVIEWER_DECISIONS, type ReviewerDecision } from './accessReview';

/** Entra keeps a reviewer's reason short. */
export const MAX_JUSTIFICATION_LENGTH = 1024;

export interface DecisionInput {
  decision: ReviewerDecision;
  justification: string | null;
}

export interface BatchDecisionInput extends DecisionInput {
  /** Only the items of this assignee; null: every item of the caller's. */
  principalId: string | null;
  /** Only the items of this resource (the policy); null: any. */
  resourceId: string | null;
}

const decision = enumIgnoringCase(REVIEWER_DECISIONS);
const justification = optionalText(MAX_JUSTIFICATION_LENGTH);

const DECISION = graphObject('accessReviewInstanceDecisionItem', { decision, justification });
const BATCH = graphObject('batchRecordDecisions', { decision, justification, principalId: guid().nullish(), resourceId: guid().nullish() });

function parse<T>(schema: z.ZodType<T, unknown>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalidBody(what, problemsOf(parsed.error, []));
  return parsed.data;
}

/** PATCH of a decision item: `decision` (Approve, Deny or DontKnow) and an optional `justification`. */
export const parseDecision = (body: unknown): DecisionInput => parse(DECISION, body, 'decision');

/** batchRecordDecisions: the same, and optionally which assignee's or resource's items. */
export function parseBatchDecision(body: unknown): BatchDecisionInput {
  const input = parse(BATCH, body, 'batch of decisions');
  return { ...input, principalId: input.principalId ?? null, resourceId: input.resourceId ?? null };
}

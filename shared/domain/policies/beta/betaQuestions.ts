import { isJsonObject, type JsonObject } from '../graphValues';
import type { JsonPath } from '../problems';
import { ownCopies, take, type BetaRewrite } from './betaRewrite';

/**
 * Beta questions carry their text as accessPackageLocalizedContent {defaultText, localizedTexts}, choices carry
 * theirs as displayValue, and a multiple choice question says allowsMultipleSelection.
 */
export function normaliseBetaQuestions(policy: JsonObject, rewrite: BetaRewrite): void {
  for (const [question, index] of ownCopies(policy, 'questions')) {
    const at = ['questions', index];
    if (isJsonObject(question.text)) spreadLocalizedContent(question, 'text', at, rewrite);
    rewrite.rename(question, 'allowsMultipleSelection', 'isMultipleSelectionAllowed', at);
    for (const [choice, choiceIndex] of ownCopies(question, 'choices')) {
      if (isJsonObject(choice.displayValue)) spreadLocalizedContent(choice, 'displayValue', [...at, 'choices', choiceIndex], rewrite);
    }
  }
}

function spreadLocalizedContent(owner: JsonObject, key: string, at: JsonPath, rewrite: BetaRewrite): void {
  const content = take(owner, key) as JsonObject;
  const contentPath = [...at, key];
  if (key !== 'text' && !rewrite.isFree(owner, 'text', contentPath)) return;
  if (!rewrite.isFree(owner, 'localizations', contentPath)) return;
  const unknown = Object.keys(content).filter((name) => !name.includes('@') && name !== 'defaultText' && name !== 'localizedTexts');
  if (unknown.length > 0) {
    rewrite.problem(contentPath, `unknown properties ${unknown.map((name) => `'${name}'`).join(', ')} (not in accessPackageLocalizedContent)`);
  }
  owner.text = content.defaultText;
  rewrite.alias([...at, 'text'], [...contentPath, 'defaultText']);
  if (content.localizedTexts === undefined) return;
  owner.localizations = content.localizedTexts;
  rewrite.alias([...at, 'localizations'], [...contentPath, 'localizedTexts']);
}

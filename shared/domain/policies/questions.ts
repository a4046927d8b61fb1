import { z } from 'zod';
import type { AccessPackageQuestion, AnswerChoice, LocalizedText } from './assignmentPolicy';
import {
  describeJson,
  expected,
  flag,
  graphObject,
  isJsonObject,
  list,
  odataTypeName,
  optionalText,
  parseWithin,
  text,
  wholeNumber,
} from './graphValues';
import { answerPatternProblem } from './answerPattern';

/**
 * Entra documents no limit. Every requestor answers every question on one form, so fifty is already far more than
 * a usable form holds, and it keeps a policy with long texts and many translations well inside the size limit.
 */
const MAX_QUESTIONS = 50;
const MAX_CHOICES = 100;
const MAX_LOCALIZATIONS = 50;
const MAX_TEXT_LENGTH = 1000;
const MAX_REGEX_LENGTH = 1000;
const MAX_ID_LENGTH = 128;
/** Long enough for any BCP 47 tag in use, such as zh-Hant-TW. */
const MAX_LANGUAGE_CODE_LENGTH = 35;

const localizations = list<LocalizedText>(
  graphObject('accessPackageLocalizedText', { languageCode: text(MAX_LANGUAGE_CODE_LENGTH), text: text(MAX_TEXT_LENGTH) }),
  MAX_LOCALIZATIONS,
  'localizations',
);

const answerChoice: z.ZodType<AnswerChoice, unknown> = graphObject('accessPackageAnswerChoice', {
  actualValue: text(256),
  text: text(MAX_TEXT_LENGTH),
  localizations,
});

const questionFields = {
  id: text(MAX_ID_LENGTH).nullish(),
  sequence: wholeNumber(0, 2_147_483_647).nullish(),
  isRequired: flag(false),
  isAnswerEditable: flag(false),
  text: text(MAX_TEXT_LENGTH),
  localizations,
};

const regexPattern = optionalText(MAX_REGEX_LENGTH)
  .transform((pattern) => (pattern === '' ? null : pattern))
  .superRefine((pattern, ctx) => {
    const problem = pattern === null ? undefined : answerPatternProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${problem}` });
  });

const choices = list(answerChoice, MAX_CHOICES, 'choices').superRefine((given, ctx) => {
  if (given.length === 0) ctx.addIssue({ code: 'custom', message: 'a multiple choice question needs at least one choice' });
  const seen = new Set<string>();
  given.forEach((choice, index) => {
    if (seen.has(choice.actualValue)) ctx.addIssue({ code: 'custom', path: [index, 'actualValue'], message: `'${choice.actualValue}' is given twice` });
    seen.add(choice.actualValue);
  });
});

const QUESTION_TYPES = {
  accessPackageTextInputQuestion: graphObject('accessPackageTextInputQuestion', {
    ...questionFields,
    isSingleLineQuestion: flag(false),
    regexPattern,
  }),
  accessPackageMultipleChoiceQuestion: graphObject('accessPackageMultipleChoiceQuestion', {
    ...questionFields,
    isMultipleSelectionAllowed: flag(false),
    choices,
  }),
};
type QuestionType = keyof typeof QUESTION_TYPES;
type ParsedQuestion = Omit<AccessPackageQuestion, 'id' | 'sequence'> & { id?: string | null; sequence?: number | null };

function questionType(odataType: unknown): QuestionType | undefined {
  const name = odataTypeName(odataType)?.toLowerCase();
  return (Object.keys(QUESTION_TYPES) as QuestionType[]).find((type) => type.toLowerCase() === name);
}

const question = z.unknown().transform((value, ctx): ParsedQuestion => {
  if (!isJsonObject(value)) {
    ctx.addIssue({ code: 'custom', message: expected('a question object')({ input: value }) });
    return z.NEVER;
  }
  const type = questionType(value['@odata.type']);
  if (!type) {
    const declared = value['@odata.type'];
    const problem = declared === undefined ? 'is required' : `${describeJson(declared)} is not a question type`;
    ctx.addIssue({
      code: 'custom',
      path: ['@odata.type'],
      message: `${problem}; use #microsoft.graph.accessPackageTextInputQuestion or #microsoft.graph.accessPackageMultipleChoiceQuestion`,
    });
    return z.NEVER;
  }
  const fields = parseWithin<object>(QUESTION_TYPES[type], value, ctx);
  return fields === undefined ? z.NEVER : ({ '@odata.type': `#microsoft.graph.${type}`, ...fields } as ParsedQuestion);
});

/**
 * The policy's questions. A question keeps the id it comes with (a PUT sends back the ones it read) and gets a new
 * one otherwise; without a sequence it is shown in the order given.
 */
export function questions(newId: () => string): z.ZodType<AccessPackageQuestion[], unknown> {
  return list(question, MAX_QUESTIONS, 'questions').transform((given, ctx) => {
    const firstIndexOfId = new Map<string, number>();
    given.forEach(({ id }, index) => {
      if (!id) return;
      const first = firstIndexOfId.get(id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `'${id}' is already the id of questions[${first}]` });
      else firstIndexOfId.set(id, index);
    });
    return given.map(({ id, sequence, ...rest }, index) => {
      const { '@odata.type': type, ...fields } = rest;
      return { '@odata.type': type, id: id || newId(), sequence: sequence ?? index + 1, ...fields } as AccessPackageQuestion;
    });
  });
}

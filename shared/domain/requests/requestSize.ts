/**
 * The bounds that keep a stored request, and the audit event that holds it twice (before and after), within one
 * Table Storage row (shared/store/documentTable.ts: MAX_DOCUMENT_LENGTH characters of JSON). Each part a caller or
 * the directory adds is bounded here (the copy of its policy's approval stages, by approvalUnder in
 * approvalStages.ts), and test/unit/requestSize.test.ts builds the largest request these allow
 * and checks that its audit event still fits. Free text is bounded as stored: JSON writes a quote, a backslash or
 * a line break as two characters and other control characters as six.
 */

/** Entra's limit on what a requestor or an approver writes: 4000 characters. */
export const MAX_REQUEST_TEXT_LENGTH = 4000;
/** A justification as stored: twice Entra's limit, so only text full of quotes, breaks or control characters is refused. */
export const MAX_STORED_TEXT_LENGTH = 2 * MAX_REQUEST_TEXT_LENGTH;
/** All answers of a request as stored (each with its value and the text shown for it, so a text answer counts twice). */
export const MAX_STORED_ANSWERS_LENGTH = 40_000;
/** Approvers one resolution of a stage's list gives; escalation may add as many again. */
export const MAX_APPROVERS_RESOLVED = 500;
export const MAX_APPROVER_IDS_PER_STAGE = 2 * MAX_APPROVERS_RESOLVED;
/** Directory object ids are GUIDs; an id longer than one is no user who can sign in to decide. */
export const MAX_DIRECTORY_ID_LENGTH = 36;
/** Graph's limit on a user's displayName; what an approver's reviewedBy keeps of it. */
export const MAX_DISPLAY_NAME_LENGTH = 256;

/** How many characters the text takes in the stored JSON, without its quotes. */
export const storedLength = (value: unknown): number => JSON.stringify(value).length - (typeof value === 'string' ? 2 : 0);

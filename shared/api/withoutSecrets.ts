/**
 * Credentials that could reach a log line through an error's text (a library quoting a header or a connection
 * string), each with what replaces it. Logs are read by more people, and kept longer, than the credentials' owners
 * would allow.
 */
const SECRETS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(Bearer)\s+[^\s"',;]+/gi, '$1 [redacted]'],
  // A JWS or JWE anywhere: its header is base64url JSON, so it starts with `eyJ`.
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)?/g, '[redacted token]'],
  // Standard Webhooks signing secrets (HR_WEBHOOK_SECRET).
  [/\bwhsec_[A-Za-z0-9+/=]+/g, 'whsec_[redacted]'],
  [/\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig|client_secret|client_assertion|password)=[^;&\s"']+/gi, '$1=[redacted]'],
];

/** The text with every credential SECRETS knows replaced, for writing to a log. */
export function withoutSecrets(text: string): string {
  return SECRETS.reduce((redacted, [pattern, replacement]) => redacted.replace(pattern, replacement), text);
}

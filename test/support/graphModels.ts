import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** One Graph-shaped answer to hold to a generated model; `type` is e.g. 'accessPackage' or 'identityGovernance.workflow'. */
export interface GraphModelCase {
  label: string;
  type: string;
  value: unknown;
}

/** What the model made of one answer: properties left in additionalData, and values it does not hold. */
export interface GraphModelFit {
  label: string;
  type: string;
  unmodelled: string[];
  dropped: string[];
  error?: string;
}

/**
 * Parses each answer with @microsoft/msgraph-sdk's generated v1.0 model through kiota's JsonParseNode. Those packages
 * are ESM only and jest runs ts-jest CommonJS here (no vm modules), so the check runs in one node child process per
 * batch (graphModelCheck.mjs), loading the 7 MB model module once for all answers.
 */
export function fitToGraphModels(cases: GraphModelCase[]): GraphModelFit[] {
  const output = execFileSync(process.execPath, [join(__dirname, 'graphModelCheck.mjs')], { input: JSON.stringify(cases), maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(output.toString('utf8')) as GraphModelFit[];
}

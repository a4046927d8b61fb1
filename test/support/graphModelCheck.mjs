// Holds Graph-shaped JSON to Microsoft's generated v1.0 models (@microsoft/msgraph-sdk, read with
// @microsoft/kiota-serialization-json). ESM only, so the jest suite (ts-jest, CommonJS) runs it as a child process:
// stdin is [{ label, type, value }], stdout is [{ label, unmodelled: [path], dropped: [path], error? }].
// `type` is a Graph entity type name: 'accessPackage', or 'identityGovernance.workflow' for a sub-namespace.
import * as models from '@microsoft/msgraph-sdk/models/index.js';
import * as identityGovernance from '@microsoft/msgraph-sdk/models/identityGovernance/index.js';
import { JsonParseNode } from '@microsoft/kiota-serialization-json';

const namespaces = { '': models, identityGovernance };

function modelFactory(type) {
  const dot = type.lastIndexOf('.');
  const namespace = namespaces[dot < 0 ? '' : type.slice(0, dot)];
  const name = type.slice(dot + 1);
  const pascal = name[0].toUpperCase() + name.slice(1);
  const create = namespace?.[`create${pascal}FromDiscriminatorValue`];
  if (!create) throw new Error(`no generated model for ${type}`);
  return create;
}

// OData's own annotations, and Portcullis's instance annotations for what Graph's types have no property for
// (approvalStages.ts DUE_ANNOTATIONS): Graph clients pass over instance annotations they do not know.
const isAnnotation = (key) => key.startsWith('@odata.') || key.includes('@odata.') || key.startsWith('@portcullis.');

/** Properties the model did not know: kiota keeps them in each parsed object's additionalData. */
function unmodelled(parsed, path, found) {
  if (Array.isArray(parsed)) parsed.forEach((item, i) => unmodelled(item, `${path}[${i}]`, found));
  else if (parsed && typeof parsed === 'object' && !(parsed instanceof Date)) {
    for (const [key, value] of Object.entries(parsed)) {
      if (key === 'additionalData') {
        for (const extra of Object.keys(value ?? {})) if (!isAnnotation(extra)) found.push(`${path}.${extra}`);
      } else if (key !== 'backingStore' && key !== 'backingStoreEnabled') unmodelled(value, `${path}.${key}`, found);
    }
  }
  return found;
}

/** The model's reading of one scalar, as the answer wrote it: dates, durations, date-only and time-only values are objects. */
function sameScalar(original, parsed) {
  if (original === parsed) return true;
  if (parsed instanceof Date) return typeof original === 'string' && Date.parse(original) === parsed.getTime();
  if (parsed && typeof parsed === 'object' && parsed.toString !== Object.prototype.toString) return String(parsed) === String(original);
  return false;
}

/**
 * Values of the answer the model does not hold: compared with the parsed model itself (a known property or an
 * additionalData entry), not with the model written back, because this SDK's serializers of derived types write
 * nothing but the base (`serializeX(writer, x, true)` returns at once), which would report every derived value.
 * Null and absent are alike.
 */
function dropped(original, parsed, path, found) {
  if (original === null || original === undefined) return found;
  if (Array.isArray(original)) {
    if (!Array.isArray(parsed)) found.push(`${path} (not read as a collection)`);
    else original.forEach((item, i) => dropped(item, parsed[i], `${path}[${i}]`, found));
  } else if (typeof original === 'object') {
    if (!parsed || typeof parsed !== 'object') found.push(`${path} (not read as an object)`);
    else {
      for (const [key, value] of Object.entries(original)) {
        if (isAnnotation(key)) continue;
        const held = key in parsed && parsed[key] !== undefined ? parsed[key] : parsed.additionalData?.[key];
        dropped(value, held, `${path}.${key}`, found);
      }
    }
  } else if (!sameScalar(original, parsed)) found.push(`${path} (${JSON.stringify(original)} read as ${parsed instanceof Date ? parsed.toISOString() : JSON.stringify(parsed)})`);
  return found;
}

/**
 * Graph writes a flags enum (lifecycleTaskCategory, ...) as one comma-separated string, "joiner,leaver"; kiota's
 * TypeScript JsonParseNode.getCollectionOfEnumValues reads only a JSON array and gives [] for that string (the same
 * gap kiota-python fixed in microsoft/kiota-python#515). So where the model read a string as an empty collection, the
 * string is split into an array and the answer read again: each member must still be one the model knows.
 */
function splitFlagsEnums(original, parsed) {
  if (typeof original === 'string' && Array.isArray(parsed) && parsed.length === 0 && original !== '') return original.split(',');
  if (Array.isArray(original) && Array.isArray(parsed)) return original.map((item, i) => splitFlagsEnums(item, parsed[i]));
  if (original && typeof original === 'object' && parsed && typeof parsed === 'object') {
    return Object.fromEntries(Object.entries(original).map(([key, value]) => [key, splitFlagsEnums(value, parsed[key])]));
  }
  return original;
}

export function check(type, value) {
  const create = modelFactory(type);
  const read = (json) => new JsonParseNode(JSON.parse(JSON.stringify(json))).getObjectValue(create);
  const flagsSplit = splitFlagsEnums(value, read(value));
  const parsed = read(flagsSplit);
  return { unmodelled: unmodelled(parsed, '$', []), dropped: dropped(flagsSplit, parsed, '$', []) };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const inputs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = inputs.map(({ label, type, value }) => {
  try {
    return { label, type, ...check(type, value) };
  } catch (error) {
    return { label, type, unmodelled: [], dropped: [], error: String(error?.stack ?? error) };
  }
});
process.stdout.write(JSON.stringify(results));

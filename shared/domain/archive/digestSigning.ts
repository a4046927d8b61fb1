import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** The Ed25519 key that signs digests, with its public half and that half's fingerprint. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  fingerprint: string;
}

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Hex SHA-256 of the public key's DER (SubjectPublicKeyInfo): what a digest names as its signer. */
export const fingerprintOf = (publicKey: KeyObject) => sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));

/**
 * Reads ARCHIVE_SIGNING_KEY: a PEM private key, Ed25519. App settings often hold newlines as the two characters
 * `\n`, so those are read as newlines. Throws with the reason when it is not such a key.
 */
export function signingKeyFromPem(pem: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem.replace(/\\n/g, '\n'));
  } catch {
    throw new Error('must be a PEM private key (-----BEGIN PRIVATE KEY-----)');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`must be an Ed25519 key, not ${privateKey.asymmetricKeyType ?? 'another kind'}`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, fingerprint: fingerprintOf(publicKey) };
}

/** Reads a public key for verification: a PEM public key, or a private key whose public half is taken. */
export function publicKeyFromPem(pem: string): KeyObject {
  const text = pem.replace(/\\n/g, '\n');
  const key = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType ?? 'not a key'}, not Ed25519`);
  return key;
}

export function newSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Base64 Ed25519 signature. Ed25519 is deterministic: the same text and key give the same signature. */
export const signText = (key: SigningKey, text: string) => sign(null, Buffer.from(text, 'utf8'), key.privateKey).toString('base64');

export function verifyText(publicKey: KeyObject, text: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(text, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

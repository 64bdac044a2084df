// Verifies a certificate in the browser with WebCrypto: the same check as `./lethe verify-certificate`. Only the signed
// payload is trusted: it must be RFC 8785 canonical JSON, its ECDSA P-256 / SHA-256 signature (DER) must verify under the
// public key of its keyId (fetched from the API's public key route), and the `certificate` copy must say the same.

/** RFC 8785 (JCS): object members sorted by UTF-16 code units, no whitespace, numbers as ECMAScript prints them. */
export function canonicalize(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error('a number that JSON cannot carry');
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalize).join(',')}]`;
  }
  const names = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${names.map(name => `${JSON.stringify(name)}:${canonicalize(value[name])}`).join(',')}}`;
}

const base64Bytes = text => Uint8Array.from(atob(text), c => c.charCodeAt(0));

/** A DER ECDSA signature (SEQUENCE of two INTEGERs) as the raw r‖s that WebCrypto expects, each 32 bytes for P-256. */
export function derToRaw(der) {
  let offset = 0;
  const read = () => der[offset++];
  const length = () => {
    let first = read();
    if (first < 0x80) {
      return first;
    }
    let count = first & 0x7f;
    let value = 0;
    while (count-- > 0) {
      value = (value << 8) | read();
    }
    return value;
  };
  if (read() !== 0x30) {
    throw new Error('the signature is not a DER sequence');
  }
  const total = length();
  if (total + offset !== der.length) {
    throw new Error('the signature has trailing or missing bytes');
  }
  const integer = () => {
    if (read() !== 0x02) {
      throw new Error('the signature does not hold two integers');
    }
    const size = length();
    let bytes = der.slice(offset, offset + size);
    offset += size;
    while (bytes.length > 32 && bytes[0] === 0) {
      bytes = bytes.slice(1);
    }
    if (bytes.length > 32) {
      throw new Error('a signature integer is longer than P-256 allows');
    }
    const padded = new Uint8Array(32);
    padded.set(bytes, 32 - bytes.length);
    return padded;
  };
  const raw = new Uint8Array(64);
  raw.set(integer(), 0);
  raw.set(integer(), 32);
  if (offset !== der.length) {
    throw new Error('the signature has trailing bytes');
  }
  return raw;
}

/** The SubjectPublicKeyInfo bytes of a PEM public key. */
export function pemToSpki(pem) {
  const match = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(String(pem));
  if (!match) {
    throw new Error('the public key is not a PEM public key');
  }
  return base64Bytes(match[1].replace(/\s+/g, ''));
}

/**
 * Verifies a certificate document as GET …/requests/{id}/certificate returns it.
 * @param {{payload: string, signature: string, keyId: string, algorithm?: string, certificate?: unknown}} document
 * @param {(keyId: string) => Promise<string>} fetchPublicKey the PEM of the key that signed (by key id)
 * @returns {Promise<{valid: boolean, reason: string}>}
 */
export async function verifyCertificate(document, fetchPublicKey) {
  if (!document || typeof document.payload !== 'string' || typeof document.signature !== 'string' || typeof document.keyId !== 'string') {
    return { valid: false, reason: 'the document lacks payload, signature or keyId' };
  }
  if (document.algorithm && document.algorithm !== 'ECDSA_SHA_256') {
    return { valid: false, reason: `unsupported algorithm ${document.algorithm}` };
  }
  let payload;
  let signature;
  try {
    payload = base64Bytes(document.payload);
    signature = derToRaw(base64Bytes(document.signature));
  } catch (error) {
    return { valid: false, reason: `payload or signature is not readable (${error.message})` };
  }
  const text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { valid: false, reason: 'the payload is not JSON' };
  }
  if (canonicalize(parsed) !== text) {
    return { valid: false, reason: 'the payload is not RFC 8785 canonical JSON' };
  }
  if (document.certificate !== undefined && canonicalize(document.certificate) !== text) {
    return { valid: false, reason: 'the certificate object differs from the signed payload' };
  }
  let key;
  try {
    const pem = await fetchPublicKey(document.keyId);
    key = await crypto.subtle.importKey('spki', pemToSpki(pem), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch (error) {
    return { valid: false, reason: `the public key could not be used (${error.message})` };
  }
  const valid = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature, payload);
  return valid ? { valid: true, reason: '' } : { valid: false, reason: 'the signature does not match the payload under this key' };
}

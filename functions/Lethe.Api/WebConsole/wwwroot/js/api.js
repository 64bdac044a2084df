// The one way the console pages talk to Lethe: the public API with the signed-in token, exactly as any other client.
// The token lives in sessionStorage (this tab only, gone when it closes), never in a cookie, so no other site can spend it.

const TOKEN_KEY = 'lethe.token';

/** A problem+json answer (RFC 9457) of the API, kept whole so forms can show its per-field errors. */
export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `The API answered ${status}.`);
    this.name = 'ProblemError';
    this.status = status;
    this.problem = problem;
  }

  /** The validation errors keyed by field name ({} when the problem has none). */
  get fieldErrors() {
    return this.problem && typeof this.problem.errors === 'object' && this.problem.errors !== null ? this.problem.errors : {};
  }

  /** Whether asking again later may succeed: no answer at all, a rate limit, or a failure on our side. */
  get transient() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** Whether a failed call may succeed when tried again later (see ProblemError.transient). */
export const isTransient = error => error instanceof ProblemError && error.transient;

/** The claims of a JWT, read without verifying it (the API verifies; the page only needs to know whom to show). */
export function readClaims(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) {
    throw new Error('This is not a JWT: it should have three parts separated by dots.');
  }
  const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, c => c.charCodeAt(0))));
  const roles = Array.isArray(claims.roles) ? claims.roles : typeof claims.roles === 'string' ? [claims.roles] : [];
  return { sub: String(claims.sub ?? ''), tenant: String(claims.tenant ?? ''), roles, exp: Number(claims.exp ?? 0) };
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) {
      sessionStorage.setItem(TOKEN_KEY, value);
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
    }
  },
  get claims() {
    const token = this.token;
    if (!token) {
      return null;
    }
    try {
      return readClaims(token);
    } catch {
      return null;
    }
  },
};

/** A path segment, escaped: ids come from users and the API, never trusted as path syntax. */
export const seg = value => {
  const text = String(value);
  // "." and ".." pass encodeURIComponent untouched and would climb the path (…/requests/.. is the tenant): no id is either.
  if (text === '' || text === '.' || text === '..') {
    throw new ProblemError(400, { title: 'Not an id', detail: `"${text}" is not an id.` });
  }
  return encodeURIComponent(text);
};

/** A query string of the non-empty values. */
export function query(values) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(name, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Calls the API. JSON in, JSON out; a problem answer throws ProblemError; 401 signs out (the token expired or was refused).
 * @param {string} method
 * @param {string} path
 * @param {{body?: unknown, headers?: Record<string,string>, accept?: string, raw?: boolean}} [options]
 */
export async function call(method, path, options = {}) {
  const headers = { Accept: options.accept ?? 'application/json', ...(options.headers ?? {}) };
  const token = session.token;
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  // No redirect is followed: the API's own answers are never redirects the page should chase with the token.
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ProblemError(0, { title: 'The API cannot be reached', detail: 'The request did not reach Lethe. Check that the API is running and try again.' });
  }
  if (response.status === 401 && token) {
    session.token = null;
    window.dispatchEvent(new CustomEvent('lethe:signed-out', { detail: 'Your token was refused (expired or not valid here). Sign in again.' }));
  }
  if (!response.ok) {
    let problem;
    try {
      problem = await response.json();
    } catch {
      problem = { title: `The API answered ${response.status}`, detail: response.statusText || `HTTP ${response.status}` };
    }
    throw new ProblemError(response.status, problem);
  }
  if (options.raw) {
    return response;
  }
  if (response.status === 204) {
    return null;
  }
  const type = response.headers.get('Content-Type') ?? '';
  return type.includes('json') ? response.json() : response.text();
}

export const api = {
  get: (path, options) => call('GET', path, options),
  post: (path, body, options) => call('POST', path, { ...options, body }),
  put: (path, body, options) => call('PUT', path, { ...options, body }),
  delete: (path, options) => call('DELETE', path, options),
};

/** A fresh idempotency key for one submission (the API dedupes a double click or a retried POST with it). */
export const idempotencyKey = () => crypto.randomUUID();

/**
 * Downloads an export: asked with redirect=false, the API answers the presigned URL (valid minutes, audited) as JSON instead of
 * a 302 that fetch could not follow to the storage host, and the browser follows it as a
 * plain navigation, so the file never passes through page memory and no token leaves for the storage host.
 */
export async function downloadExport(tenant, requestId, part) {
  const link = await api.get(`/v1/tenants/${seg(tenant)}/requests/${seg(requestId)}/download${query({ part, redirect: 'false' })}`);
  const anchor = document.createElement('a');
  anchor.href = link.url;
  anchor.rel = 'noopener noreferrer';
  anchor.download = '';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  return link;
}

/** Saves text the page already holds (audit CSV/JSON, a certificate) as a file. */
export function saveText(fileName, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets wherever they appear, compared without case, `-` or `_`. */
const DEFAULT_SECRET_KEYS = [
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'authorization',
  'apikey',
  'accesskey',
  'privatekey',
  'clientsecret',
  'cookie',
  'setcookie',
  'credentials',
  'connectionstring',
];

const extraSecretKeys = new Set<string>();
// Reports and logs repeat the same few keys; remembering the verdict saves the normalising and the
// suffix scan. Bounded, since keys can come from user data.
const keyVerdicts = new Map<string, boolean>();
const MAX_REMEMBERED_KEYS = 10_000;

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '');
}

/** Adds keys (for example `ssn`) to redact everywhere in this process. */
export function addSecretKeys(...keys: string[]): void {
  for (const key of keys) extraSecretKeys.add(normaliseKey(key));
  keyVerdicts.clear();
}

export function isSecretKey(key: string): boolean {
  const known = keyVerdicts.get(key);
  if (known !== undefined) return known;
  const normal = normaliseKey(key);
  // Suffix match catches dbPassword, x-api-key, refresh_token, sessionSecret...
  const verdict =
    extraSecretKeys.has(normal) || DEFAULT_SECRET_KEYS.some((secret) => normal === secret || normal.endsWith(secret));
  if (keyVerdicts.size < MAX_REMEMBERED_KEYS) keyVerdicts.set(key, verdict);
  return verdict;
}

// scheme://user:password@host — the password part, wherever a URL stands in a string.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi;
// key=value pairs in query strings and DSNs: password=..., token=..., api_key=...
const INLINE_SECRET =
  /\b((?:[a-z0-9]*[-_]?)?(?:password|passwd|pwd|secret|token|api[-_]?key|access[-_]?key|auth)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"']+)/gi;
const BEARER = /\b(bearer|basic)\s+[a-z0-9._~+/=-]+/gi;

/** Removes credentials from free text: URL passwords, `password=...` pairs, bearer tokens. */
// Every pattern below needs one of these; most strings have none and skip the three scans.
const MAY_HOLD_SECRET = /[=:@]|bearer|basic/i;

export function redactString(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(URL_CREDENTIALS, `$1${REDACTED}$3`)
    .replace(INLINE_SECRET, `$1${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`);
}

/**
 * A deep copy of `value` that is safe to log, export or report: secret keys' values replaced,
 * credentials removed from every string, errors turned into plain objects. Cycles are cut.
 */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakMap()) as T;
}

function redactValue(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);

  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redactValue(item, seen));
    return out;
  }
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactString(value.message) };
    seen.set(value, out);
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretKey(key) ? REDACTED : redactValue(item, seen);
    }
    if (value.stack) out.stack = redactString(value.stack);
    if (value.cause !== undefined) out.cause = redactValue(value.cause, seen);
    return out;
  }
  if (value instanceof Date || value instanceof RegExp) return value;
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [key, item] of value) {
      out.set(key, typeof key === 'string' && isSecretKey(key) ? REDACTED : redactValue(item, seen));
    }
    return out;
  }
  if (value instanceof URL) {
    const url = new URL(value.href);
    if (url.password) url.password = REDACTED;
    return url;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      isSecretKey(key) && item !== undefined && item !== null && item !== '' ? REDACTED : redactValue(item, seen);
  }
  return out;
}

/** The embedded database, or null when DATABASE_URL points at a real server. */
export const EMBEDDED_DATABASE = Symbol('demo:embedded-database');
/** The stand-in upstream, or null when UPSTREAM_URL is set. */
export const FAKE_UPSTREAM = Symbol('demo:fake-upstream');

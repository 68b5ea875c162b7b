// Plain ESM: Jest loads global setups outside its module mapper. Defaults match test/support/services.ts.
import { connect } from 'node:net';

import pg from 'pg';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 3_000;

const START_COMMANDS = [
  'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  'su postgres -c "psql -c \'CREATE DATABASE test\'"   # if the test database is missing',
];

const redactUrl = (url) => url.replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@');

async function checkPostgres() {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${redactUrl(DATABASE_URL)}: ${error.message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function checkRedis() {
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (problem) => {
      socket.destroy();
      resolve(problem && `Redis at ${redactUrl(REDIS_URL)}: ${problem}`);
    };
    socket.setTimeout(TIMEOUT_MS, () => done(`no answer within ${TIMEOUT_MS} ms`));
    socket.once('error', (error) => done(error.message));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      const reply = data.toString();
      done(reply.startsWith('+PONG') ? undefined : `unexpected reply ${JSON.stringify(reply.trim())}`);
    });
  });
}

/** Fails the integration suites at once, with the fix, when PostgreSQL or Redis is not there. */
export default async function servicesGlobalSetup() {
  const problems = (await Promise.all([checkPostgres(), checkRedis()])).filter(Boolean);
  if (problems.length === 0) return;
  throw new Error(
    [
      'The integration tests need the local PostgreSQL and Redis:',
      ...problems.map((p) => `  - ${p}`),
      'Start them with:',
      ...START_COMMANDS.map((c) => `  ${c}`),
      'or point DATABASE_URL / REDIS_URL at running servers.',
    ].join('\n'),
  );
}

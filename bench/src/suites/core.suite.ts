/**
 * @ballast/core against what an app would write or reach for instead: the redaction every module
 * runs on what it logs and reports, and the page-query pipe every list endpoint runs per request.
 */
import { coreOptions, PageQueryPipe, redact } from '@ballast/core';
import { type ArgumentMetadata, DefaultValuePipe, ParseIntPipe, StandardSchemaValidationPipe } from '@nestjs/common';
import { z } from 'zod';

import { compareOps, costResult, opsResult, type BenchResult, type BenchSuite } from '../harness.js';

const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

/** Options of a database pool as a module would report them: one URL password, one secret key. */
const poolOptions = {
  name: 'orders-db',
  type: 'postgres',
  url: 'postgres://app:s3cr3t@db.internal:5432/orders',
  pool: { min: 2, max: 20, idleTimeoutMs: 30_000, acquireTimeoutMs: 2_000, validateOnBorrow: false },
  ssl: { rejectUnauthorized: true, ca: '/etc/ssl/ca-bundle.pem' },
  password: 's3cr3t',
  headers: { 'x-api-key': 'k-123', accept: 'application/json' },
  tags: ['primary', 'eu-west-1'],
};

/** What a request log line carries. */
const requestContext = {
  level: 'warn',
  msg: 'upstream call failed, falling back',
  req: {
    method: 'GET',
    url: '/api/tickets?page=3&size=50',
    headers: { host: 'api.example.com', authorization: 'Bearer eyJhbGciOi.abc.def', 'user-agent': 'curl/8.5' },
  },
  upstream: { name: 'billing', attempt: 2, elapsedMs: 812, error: 'ECONNRESET' },
  user: { id: 42, role: 'agent' },
};

const SECRET_KEYS = new Set(['password', 'token', 'secret', 'authorization', 'x-api-key', 'apikey', 'cookie']);

/** The usual hand-rolled log redaction: exact key names, strings left as they are. */
function keyReplacer(key: string, value: unknown): unknown {
  return SECRET_KEYS.has(key.toLowerCase()) ? '[REDACTED]' : value;
}

/** Query strings as Express hands them over: explicit, first page, over the maximum, absent. */
const queries: Record<string, string | undefined>[] = [{ page: '3', size: '50' }, { page: '1' }, { size: '500' }, {}];
const queryAt = (i: number): Record<string, string | undefined> => queries[i & 3]!;

const pagePipe = new PageQueryPipe(coreOptions.parse({ pagination: { overflow: 'clamp' } }));

const wholeNumber = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const zodPageQuery = z
  .object({ page: wholeNumber(1), size: wholeNumber(DEFAULT_PAGE_SIZE) })
  .transform(({ page, size }) => {
    const clamped = Math.min(size, MAX_PAGE_SIZE);
    return { page, size: clamped, offset: (page - 1) * clamped };
  });

/** What a controller without Ballast declares: `@Query('page', new DefaultValuePipe(1), ParseIntPipe)`. */
const defaultPage = new DefaultValuePipe(1);
const defaultSize = new DefaultValuePipe(DEFAULT_PAGE_SIZE);
const parseInt10 = new ParseIntPipe();
const pageMeta: ArgumentMetadata = { type: 'query', data: 'page' };
const sizeMeta: ArgumentMetadata = { type: 'query', data: 'size' };
async function nestBuiltInPipes(query: Record<string, string | undefined>) {
  // Nest awaits every pipe in turn, as here.
  // ParseIntPipe types its result as nullable for its `optional` mode, which is off here.
  const page = (await parseInt10.transform(await defaultPage.transform(query.page), pageMeta))!;
  const size = Math.min(
    (await parseInt10.transform(await defaultSize.transform(query.size), sizeMeta))!,
    MAX_PAGE_SIZE,
  );
  return { page, size, offset: (page - 1) * size };
}

const schemaPipe = new StandardSchemaValidationPipe();
const schemaMeta = { type: 'query', schema: zodPageQuery } as ArgumentMetadata;

function naiveParse(query: Record<string, string | undefined>) {
  const page = parseInt(query.page ?? '', 10) || 1;
  const size = Math.min(parseInt(query.size ?? '', 10) || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { page, size, offset: (page - 1) * size };
}

const suite: BenchSuite = {
  name: 'core',
  description: 'redaction and page-query parsing of @ballast/core against what apps use instead',
  async run(ctx) {
    const results: BenchResult[] = [];

    ctx.log('redact: pool options object');
    const copy = await compareOps({ ours: () => redact(poolOptions), peer: () => structuredClone(poolOptions) }, ctx);
    results.push(
      costResult({
        case: 'redact pool options (nested, 15 values)',
        metric: 'ns_per_op',
        ours: copy.ours.nsPerOp,
        peer: 'structuredClone',
        peerValue: copy.peer.nsPerOp,
        note: 'structuredClone only copies: the floor for a deep copy, it removes no secret',
      }),
    );

    ctx.log('redacted log line');
    const line = await compareOps(
      {
        ours: () => JSON.stringify(redact(requestContext)),
        peer: () => JSON.stringify(requestContext, keyReplacer),
      },
      ctx,
    );
    results.push(
      costResult({
        case: 'redacted JSON log line (request context)',
        metric: 'ns_per_op',
        ours: line.ours.nsPerOp,
        peer: 'JSON.stringify + key replacer',
        peerValue: line.peer.nsPerOp,
        note: 'the replacer matches exact key names only and leaves URL passwords and bearer tokens inside strings',
      }),
    );

    ctx.log('page query, synchronous parse');
    const parse = await compareOps(
      {
        ours: (i) => pagePipe.transform(queryAt(i)),
        zod: (i) => zodPageQuery.parse(queryAt(i)),
        naive: (i) => naiveParse(queryAt(i)),
      },
      ctx,
    );
    results.push(
      opsResult({
        case: 'page query parse (?page&size, clamp)',
        ours: parse.ours.opsPerSec,
        peer: 'zod 4 z.coerce schema',
        peerValue: parse.zod.opsPerSec,
        note: 'same rules: whole numbers >= 1, defaults, size clamped to 100',
      }),
      opsResult({
        case: 'page query parse (?page&size, clamp)',
        ours: parse.ours.opsPerSec,
        peer: 'naive parseInt',
        peerValue: parse.naive.opsPerSec,
        note: 'no validation: accepts "3abc" as 3 and "-5" as page -5',
      }),
    );

    ctx.log('page query through Nest pipes');
    const piped = await compareOps(
      {
        ours: async (i) => pagePipe.transform(queryAt(i)),
        builtIn: (i) => nestBuiltInPipes(queryAt(i)),
        schema: (i) => schemaPipe.transform(queryAt(i), schemaMeta),
      },
      ctx,
    );
    results.push(
      opsResult({
        case: 'page query as a Nest pipe (awaited)',
        ours: piped.ours.opsPerSec,
        peer: 'DefaultValuePipe + ParseIntPipe',
        peerValue: piped.builtIn.opsPerSec,
        note: 'two @Query params with two pipes each, size clamped by hand',
      }),
      opsResult({
        case: 'page query as a Nest pipe (awaited)',
        ours: piped.ours.opsPerSec,
        peer: 'StandardSchemaValidationPipe + zod',
        peerValue: piped.schema.opsPerSec,
        note: 'the Nest 12 built-in schema pipe running the zod schema of the row above',
      }),
    );
    return results;
  },
};

export default suite;

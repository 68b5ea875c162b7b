import { AsyncLocalStorage } from 'node:async_hooks';

import { defineOptions } from '@ballast/core';
import { z } from 'zod';

import type { OwnerSource } from './resource-tracker.js';

const ownerSchema = z.custom<OwnerSource>(
  (value) => typeof value === 'function' || value instanceof AsyncLocalStorage,
  'must be an AsyncLocalStorage (its store a string or an object with a string "owner") or a function returning the owner',
);

const limitSchema = z.strictObject({
  owner: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
  maxLifetimeMs: z.number().int().min(1),
});

const SAMPLING_ALLOWED = '"all", "none", a whole number N (one stack in N) or "N/s" (up to N a second per type)';
const samplingSchema = z.union(
  [
    z.enum(['all', 'none']),
    z.strictObject({ perSecond: z.number().int().min(1) }),
    z
      .string()
      .regex(/^[1-9]\d*\/s$/)
      .transform((value) => ({ perSecond: Number(value.slice(0, -2)) })),
    z.coerce.number().int().min(1),
  ],
  { error: `must be ${SAMPLING_ALLOWED}` },
);

/** Every option of `ResourceTrackerModule`, with its default and environment variable. */
export const trackerOptions = defineOptions('ResourceTrackerModule', {
  level: {
    schema: z.enum(['off', 'default', 'debug']).default('default'),
    env: 'BALLAST_TRACKER_LEVEL',
    description:
      'off: nothing recorded (core no-op); default: cheap signals only; debug: also an async_hooks record of every async resource (costly, for hunting a leak).',
  },
  owner: {
    schema: ownerSchema.optional(),
    description:
      "Where owners come from without runAs: the app's own AsyncLocalStorage (store a string or { owner }) or a function; read when a resource is created.",
  },
  types: {
    schema: z.array(z.string().min(1)).default([]),
    env: 'BALLAST_TRACKER_TYPES',
    description: 'Resource types to record (comma-separated); empty records every type.',
  },
  leaks: {
    maxLifetimeMs: {
      schema: z.number().int().min(1).optional(),
      env: 'BALLAST_TRACKER_MAX_LIFETIME_MS',
      description:
        'Global limit for every type without an explicit one: held longer is a leak, growing or not (the learned rule may report earlier); unset: learned limits only.',
    },
    limits: {
      schema: z.array(limitSchema).default([]),
      description:
        'Lifetime limits per owner, per type, or per owner and type ({ owner?, type?, maxLifetimeMs }); the most specific wins over the global and learned limits.',
    },
    learn: {
      enabled: {
        schema: z.boolean().default(true),
        env: 'BALLAST_TRACKER_LEARN',
        description:
          "Learn each type's (and owner's) normal lifetime from its releases and report resources held far longer while their count keeps growing.",
      },
      factor: {
        schema: z.number().min(1).max(1_000).default(10),
        env: 'BALLAST_TRACKER_LEARN_FACTOR',
        description: 'A resource held longer than this many times the longest lifetime seen is reported.',
      },
      minMs: {
        schema: z.number().int().min(1).default(60_000),
        env: 'BALLAST_TRACKER_LEARN_MIN_MS',
        description: 'A learned limit is never below this.',
      },
      afterReleases: {
        schema: z.number().int().min(1).default(2),
        env: 'BALLAST_TRACKER_LEARN_AFTER',
        description: 'Releases of a type (or of an owner of it) seen before its learned limit applies.',
      },
      requireGrowth: {
        schema: z.boolean().default(true),
        env: 'BALLAST_TRACKER_LEARN_REQUIRE_GROWTH',
        description:
          "The learned limit reports a (type, owner)'s resources only while their count past it keeps growing (see growthScans); false: on age alone, a single resource held long included.",
      },
      growthScans: {
        schema: z.number().int().min(2).max(1_000).default(2),
        env: 'BALLAST_TRACKER_LEARN_GROWTH_SCANS',
        description:
          "With requireGrowth: scans at which a (type, owner)'s count of resources past its learned limit must reach a new high (since it was last zero) before they are reported.",
      },
    },
    weakAfterMs: {
      schema: z.number().int().min(0).max(3_600_000).default(1_000),
      env: 'BALLAST_TRACKER_WEAK_AFTER_MS',
      description:
        'A record holds its resource this long, then weakly, so one dropped unclosed is reported when collected without waiting for a scan; 0: at scans only.',
    },
    keepCollected: {
      schema: z.number().int().min(0).max(100_000).default(500),
      description: 'How many collected-without-close reports are kept for the leaks endpoint.',
    },
  },
  dependencies: {
    schema: z.record(z.string(), z.array(z.string())).default({}),
    description:
      'Declared dependencies between named resources or providers ({ "orders-repo": ["db-pool"] }); a cycle stops start-up, teardown runs in reverse order.',
  },
  scan: {
    intervalMs: {
      schema: z.number().int().min(100).max(3_600_000).default(10_000),
      env: 'BALLAST_TRACKER_SCAN_INTERVAL_MS',
      description:
        'How often tracked resources are checked for leaks (a leak is found after limit + interval/2 on average).',
    },
  },
  stacks: {
    sampling: {
      schema: samplingSchema.prefault('10/s'),
      env: 'BALLAST_TRACKER_STACK_SAMPLING',
      description:
        'Creation stacks recorded for "all" resources, "none", one in N, or "N/s": up to N a second for each type, a bounded cost at any rate (a formatted stack costs 10-70 µs).',
    },
  },
  audit: {
    size: {
      schema: z.number().int().min(0).max(1_000_000).default(1_000),
      env: 'BALLAST_TRACKER_AUDIT_SIZE',
      description: 'Events kept in the audit trail (create, release, leak, retract, collected).',
    },
  },
  signals: {
    fileHandles: {
      schema: z.boolean().default(true),
      env: 'BALLAST_TRACKER_FILE_HANDLES',
      description: 'Track fs.promises FileHandles and raw fds opened through fs.open/openSync.',
    },
    sockets: {
      schema: z.boolean().default(true),
      env: 'BALLAST_TRACKER_SOCKETS',
      description:
        'Track sockets: every client socket through net.Socket#connect (net, tls, pg, http, undici, ioredis; named by their first http or undici request) and accepted connections (net.server.socket, as long-lived server-socket).',
    },
    childProcesses: {
      schema: z.boolean().default(true),
      env: 'BALLAST_TRACKER_CHILD_PROCESSES',
      description: 'Track child processes started through child_process.spawn/fork/exec/execFile until they exit.',
    },
    workers: {
      schema: z.boolean().default(true),
      env: 'BALLAST_TRACKER_WORKERS',
      description: 'Track worker threads until they exit.',
    },
    timersAboveMs: {
      schema: z.number().int().min(0).default(60_000),
      env: 'BALLAST_TRACKER_TIMERS_ABOVE_MS',
      description: 'Track setInterval and setTimeout calls at or above this delay; 0 turns timer tracking off.',
    },
    fsWatchers: {
      schema: z.boolean().default(true),
      env: 'BALLAST_TRACKER_FS_WATCHERS',
      description: 'Track fs.watch, fs.watchFile and fs.promises.watch watchers until they are closed.',
    },
    dgram: {
      schema: z.boolean().default(true),
      env: 'BALLAST_TRACKER_DGRAM',
      description: 'Track UDP sockets from dgram.createSocket until they close.',
    },
    immediateChainHops: {
      schema: z.number().int().min(0).default(100),
      env: 'BALLAST_TRACKER_IMMEDIATE_CHAIN_HOPS',
      description:
        'Record a setImmediate chain (each callback scheduling the next) once it made this many hops; 0 turns it off.',
    },
    listenersAbove: {
      schema: z.number().int().min(0).default(50),
      env: 'BALLAST_TRACKER_LISTENERS_ABOVE',
      description:
        "Record an EventEmitter's listeners for one event once they reach this count (released below half); 0 turns it off.",
    },
    pollIntervalMs: {
      schema: z.number().int().min(0).max(3_600_000).default(10_000),
      env: 'BALLAST_TRACKER_POLL_INTERVAL_MS',
      description:
        'How often process.getActiveResourcesInfo() and /proc/self/fd are counted (feeds the forecast); 0 turns it off.',
    },
  },
  forecast: {
    horizonMs: {
      schema: z.number().int().min(60_000).default(1_800_000),
      env: 'BALLAST_TRACKER_FORECAST_HORIZON_MS',
      description: 'Alert when a count would reach its limit within this time.',
    },
    window: {
      schema: z.number().int().min(4).max(10_000).default(60),
      description: 'Samples per type the trend is estimated over.',
    },
    limits: {
      schema: z.record(z.string(), z.number().int().min(1)).default({}),
      description:
        'Limits per type for the forecast, e.g. { "db-connection": 20 }; "fd-open" (all open fds, from /proc/self/fd) defaults to ulimit -n and "heap-bytes" to the V8 heap limit.',
    },
  },
});

/** What `ResourceTrackerModule.forRoot()` accepts: every option may be left out. */
export type ResourceTrackerModuleOptions = z.input<typeof trackerOptions.schema>;
/** Validated options with defaults filled in. */
export type ResourceTrackerOptions = z.output<typeof trackerOptions.schema>;

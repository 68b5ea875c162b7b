import { defineOptions } from '@ballast/core';
import { z } from 'zod';

import type { ModelLoader } from './interfaces/model-loader.interface.js';

const MB = 1024 * 1024;

const loaderSchema = z.custom<ModelLoader>(
  (value) => typeof value === 'object' && value !== null && typeof (value as ModelLoader).load === 'function',
  'must be a ModelLoader (an object with load(request, signal))',
);

const warmUpSchema = z.array(
  z.union([
    z.string().min(1),
    z.strictObject({ name: z.string().min(1), device: z.string().min(1).optional(), pin: z.boolean().optional() }),
  ]),
);

/** Every option of `NeuralModule`, with its default and environment variable. */
export const neuralOptions = defineOptions(
  'NeuralModule',
  {
    loader: {
      schema: loaderSchema.optional(),
      description:
        'The runtime adapter. Without one, an OnnxModelLoader reads `<modelDir>/<name>.onnx` (modelDir required then).',
    },
    modelDir: {
      schema: z.string().min(1).optional(),
      env: 'NEURAL_MODEL_DIR',
      description: 'Directory of `<name>.onnx` files for the default ONNX loader.',
    },
    execution: {
      schema: z.enum(['inline', 'worker']).default('inline'),
      env: 'NEURAL_EXECUTION',
      description: 'Default ONNX loader: run sessions inline (blocks the event loop) or each on a worker thread.',
    },
    memoryFactor: {
      schema: z.number().min(1).max(16).default(2.5),
      env: 'NEURAL_MEMORY_FACTOR',
      description:
        'Default ONNX loader: resident bytes charged per model byte (onnxruntime-node on CPU measured 1.2–2.5x).',
    },
    maxModels: {
      schema: z.number().int().min(1).max(10_000).default(8),
      env: 'NEURAL_MAX_MODELS',
      description: 'Most models loaded at once (loading and unloading ones count).',
    },
    maxBytes: {
      schema: z
        .number()
        .int()
        .min(1)
        .default(512 * MB),
      env: 'NEURAL_MAX_BYTES',
      description: 'Most model bytes loaded at once; a predicted size is charged before a load.',
    },
    idleTtlMs: {
      schema: z
        .number()
        .int()
        .min(0)
        .default(10 * 60_000),
      env: 'NEURAL_IDLE_TTL_MS',
      description: 'Unload a model unused this long (0: only when capacity needs the room).',
    },
    loadConcurrency: {
      schema: z.number().int().min(1).max(64).default(2),
      env: 'NEURAL_LOAD_CONCURRENCY',
      description: 'Different models loading at the same time.',
    },
    loadTimeoutMs: {
      schema: z.number().int().min(1).default(60_000),
      env: 'NEURAL_LOAD_TIMEOUT_MS',
      description: 'A load taking longer fails its callers; the model is released if it arrives later.',
    },
    failedLoadTtlMs: {
      schema: z.number().int().min(0).default(30_000),
      env: 'NEURAL_FAILED_LOAD_TTL_MS',
      description: 'How long a failed load is answered with its error before trying again (0: never cached).',
    },
    cleanupIntervalMs: {
      schema: z
        .number()
        .int()
        .min(100)
        .max(24 * 3_600_000)
        .default(30_000),
      env: 'NEURAL_CLEANUP_INTERVAL_MS',
      description: 'How often idle models and expired results are removed and stuck leases looked for.',
    },
    device: {
      schema: z
        .string()
        .regex(/^[a-z]+(:\d+)?$/, 'must be a device like cpu, cuda or cuda:1')
        .default('cpu'),
      env: 'NEURAL_DEVICE',
      description: 'Device models load on unless a call names one (ONNX: cpu, cuda, cuda:<id>, dml...).',
    },
    stuckLeaseMs: {
      schema: z.number().int().min(1).default(60_000),
      env: 'NEURAL_STUCK_LEASE_MS',
      description: 'A lease held longer is reported (log, health degraded, report) but never broken.',
    },
    drainTimeoutMs: {
      schema: z.number().int().min(0).default(10_000),
      env: 'NEURAL_DRAIN_TIMEOUT_MS',
      description: 'On shutdown, how long to wait for leases before releasing sessions anyway.',
    },
    defaultPredictedBytes: {
      schema: z
        .number()
        .int()
        .min(0)
        .default(64 * MB),
      env: 'NEURAL_DEFAULT_PREDICTED_BYTES',
      description: 'Bytes charged before a load when the loader cannot predict a size.',
    },
    captureLeaseStacks: {
      schema: z.boolean().default(false),
      env: 'NEURAL_CAPTURE_LEASE_STACKS',
      description: 'Record where each lease was taken, shown for stuck leases (costs a stack trace per lease).',
    },
    warmUp: {
      schema: warmUpSchema.default([]),
      env: 'NEURAL_WARM_UP',
      description: 'Models to load (and run once) at start-up; objects may pin them.',
    },
    resultCache: {
      enabled: {
        schema: z.boolean().default(false),
        env: 'NEURAL_RESULT_CACHE',
        description: 'Keep inference results keyed by model + input hash.',
      },
      maxEntries: {
        schema: z.number().int().min(1).default(10_000),
        env: 'NEURAL_RESULT_CACHE_MAX_ENTRIES',
        description: 'Most results kept.',
      },
      maxBytes: {
        schema: z
          .number()
          .int()
          .min(1)
          .default(64 * MB),
        env: 'NEURAL_RESULT_CACHE_MAX_BYTES',
        description: 'Most result bytes kept (its own bound, apart from maxBytes).',
      },
      ttlMs: {
        schema: z
          .number()
          .int()
          .min(0)
          .default(5 * 60_000),
        env: 'NEURAL_RESULT_CACHE_TTL_MS',
        description: 'Result lifetime (0: until evicted).',
      },
    },
  },
  {
    check: (options) =>
      options.loader === undefined && options.modelDir === undefined
        ? [
            {
              path: 'modelDir',
              message: 'is required when no loader is given (the default ONNX loader reads <modelDir>/<name>.onnx)',
            },
          ]
        : [],
  },
);

/** What `NeuralModule.forRoot()` accepts. */
export type NeuralModuleOptions = z.input<typeof neuralOptions.schema>;
/** Validated options with defaults filled in. */
export type NeuralOptions = z.output<typeof neuralOptions.schema>;

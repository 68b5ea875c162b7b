import { createRequire } from 'node:module';

import type * as Ort from 'onnxruntime-node';

// onnxruntime-node is an optional peer: loaded on first use, so `@ballast/neural` and this adapter
// import without it and only a model load tells the user what to install.
const MISSING =
  'The ONNX adapter needs onnxruntime-node, an optional peer of @ballast/neural: npm install onnxruntime-node';

let runtime: Promise<typeof Ort> | undefined;

/** The onnxruntime-node module, imported once. */
export function loadOnnxRuntime(): Promise<typeof Ort> {
  runtime ??= import('onnxruntime-node').catch((error: unknown) => {
    runtime = undefined;
    throw isNotFound(error) ? new Error(MISSING, { cause: error }) : error;
  });
  return runtime;
}

/** The absolute path of onnxruntime-node's entry, for worker threads that load it themselves. */
export function resolveOnnxRuntime(): string {
  try {
    return createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch (error) {
    throw isNotFound(error) ? new Error(MISSING, { cause: error }) : error;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

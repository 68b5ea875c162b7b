// onnxruntime-node creates its output arrays in the main V8 realm, while Jest runs each test file
// in a vm context with typed-array constructors of its own; onnxruntime-common's `instanceof`
// check then rejects every output. Test files that run ORT inline use this environment
// (`@jest-environment ./libs/neural/jest-onnx.environment.mjs`), which shares the main realm's
// typed arrays with the test context. Production code has one realm and needs nothing of this.
import { TestEnvironment } from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer',
  'Uint8Array',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Uint8ClampedArray',
];

export default class OnnxTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

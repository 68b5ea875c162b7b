/**
 * The worker's code, as a string run with `eval: true`: a separate file would have to be found
 * next to the compiled output, which differs between the built library, ts sources under Jest and
 * bundlers. It loads onnxruntime-node from the absolute path the main thread resolved.
 */
export const ONNX_WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
const reply = (id, body, transfer) => parentPort.postMessage({ id, ...body }, transfer);
parentPort.on('message', async (msg) => {
  try {
    if (msg.op === 'create') {
      session = await ort.InferenceSession.create(msg.source, msg.options);
      const inputs = session.inputNames.map((name, i) => {
        const meta = session.inputMetadata && session.inputMetadata[i];
        return meta && meta.isTensor ? { name, type: meta.type, shape: Array.from(meta.shape) } : { name };
      });
      reply(msg.id, { result: { inputs, outputNames: Array.from(session.outputNames) } });
    } else if (msg.op === 'run') {
      const feeds = {};
      for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type || 'float32', t.data, t.dims);
      const result = await session.run(feeds);
      const out = {};
      const transfer = [];
      for (const [name, tensor] of Object.entries(result)) {
        const data = tensor.data;
        out[name] = { type: tensor.type, data, dims: Array.from(tensor.dims) };
        if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) transfer.push(data.buffer);
      }
      reply(msg.id, { result: out }, transfer);
    } else if (msg.op === 'release') {
      if (session) await session.release();
      session = undefined;
      reply(msg.id, { result: true });
    }
  } catch (error) {
    reply(msg.id, { error: { name: error && error.name, message: String(error && error.message || error) } });
  }
});
`;

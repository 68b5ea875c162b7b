/**
 * `using` / `await using` need `Symbol.dispose` and `Symbol.asyncDispose`. Node 20.19+ has both;
 * older runtimes (and some test sandboxes) do not, so define them once, the way TypeScript's
 * downlevel helpers look them up (`Symbol.for('Symbol.dispose')`).
 */
const symbols = Symbol as unknown as { dispose?: symbol; asyncDispose?: symbol };
if (typeof symbols.dispose !== 'symbol') {
  Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('Symbol.dispose') });
}
if (typeof symbols.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('Symbol.asyncDispose') });
}

export const DISPOSE: typeof Symbol.dispose = Symbol.dispose;
export const ASYNC_DISPOSE: typeof Symbol.asyncDispose = Symbol.asyncDispose;

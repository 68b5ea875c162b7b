// Node 20.20 defines Symbol.dispose/asyncDispose, earlier 20.x lines did not: `await using` and
// our leases need them, so define them where missing (the same registered-symbol names
// TypeScript's own downlevel helpers look up).
const symbols = Symbol as unknown as { dispose?: symbol; asyncDispose?: symbol };
if (typeof symbols.dispose !== 'symbol') {
  Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('Symbol.dispose') });
}
if (typeof symbols.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('Symbol.asyncDispose') });
}

export {};

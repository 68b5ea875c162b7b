// One config for every suite: unit specs beside the code, and test/ for the suites that cross
// libraries or talk to the real PostgreSQL and Redis (those get a global setup that checks both).
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const libs = ['core', 'pool', 'cache', 'neural', 'resilience', 'tracker', 'memory'];

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    // Subpath entries (`@ballast/<lib>/testing`, `@ballast/neural/onnx`), as the packages' exports.
    '^@ballast/([a-z]+)/(testing|onnx)$': '<rootDir>/libs/$1/src/$2/index.ts',
    ...Object.fromEntries(libs.map((lib) => [`^@ballast/${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  setupFiles: ['reflect-metadata'],
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/*/src/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/setup/services.global-setup.mjs',
    },
  ],
  testTimeout: 30_000,
};

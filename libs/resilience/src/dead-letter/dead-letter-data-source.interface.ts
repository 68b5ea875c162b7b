/**
 * What the Postgres dead-letter store uses of a TypeORM `DataSource`. Declared here rather than
 * imported from typeorm, an optional peer: an app without typeorm type-checks our declarations
 * (`skipLibCheck: false`), and an app's `DataSource` of any typeorm 1.x patch is accepted as is.
 */
export interface DeadLetterDataSource {
  readonly isInitialized: boolean;
  createQueryRunner(): DeadLetterQueryRunner;
  destroy(): Promise<void>;
}

/** The part of a TypeORM `QueryRunner` the store uses. */
export interface DeadLetterQueryRunner {
  readonly isTransactionActive: boolean;
  startTransaction(): Promise<void>;
  commitTransaction(): Promise<void>;
  rollbackTransaction(): Promise<void>;
  release(): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- typeorm's own signature; ours narrows the result
  query(query: string, parameters?: any[], useStructuredResult?: boolean): Promise<any>;
}

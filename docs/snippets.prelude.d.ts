// What the ```ts examples of README.md, docs/*.md and libs/*/README.md take from the app around
// them: your entities, your root module, your own services. Declared here, globally, so that
// scripts/check-doc-snippets.mjs compiles each example as it is printed; an example that imports or
// declares one of these names itself uses its own. Nothing here is part of any package.

/** A TypeORM entity of the app (the examples' running theme: a ticket tracker). */
declare class Ticket {
  id: number;
  title: string;
  status: 'open' | 'pending' | 'closed';
  teamId: string;
}
/** The app's root module, as `NestFactory.create(AppModule)` takes it. */
declare class AppModule {}
/** An app built for a test, as a test helper of yours would return it. */
declare function createApp(): Promise<import('@nestjs/common').INestApplication>;
/** An app after `NestFactory.create`. */
declare const app: import('@nestjs/common').INestApplication;
/** The incoming request whose abort should stop the work done for it. */
declare const request: { readonly signal: AbortSignal };

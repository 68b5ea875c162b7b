import diagnostics from 'node:diagnostics_channel';

/** What undici publishes about connections (the channel payloads, the parts we read). */
interface ConnectMessage {
  readonly connectParams: { readonly protocol: string; readonly host: string };
  readonly error?: Error;
}

/** The per-origin side of an HTTP pool that connection events are routed to. */
export interface ConnectionObserver {
  /** `scheme://host[:port]`, as `new URL(origin).origin` writes it. */
  readonly originKey: string;
  connectStarted(): void;
  connected(): void;
  connectFailed(error: Error | undefined): void;
}

const CHANNELS = ['undici:client:beforeConnect', 'undici:client:connected', 'undici:client:connectError'] as const;

/**
 * Routes undici's connection diagnostics channels to the pools of their origin. Subscribes while
 * at least one pool is attached and unsubscribes when the last one leaves, so nothing outlives the
 * app. Request timing is taken by each pool's dispatcher interceptor instead: undici creates its
 * Request objects (and publishes `request:create`) only once a socket is free, which would hide the
 * very queueing time we want to measure.
 */
export class HttpConnectionDiagnostics {
  private readonly observers = new Map<string, Set<ConnectionObserver>>();
  private subscribed = false;

  private readonly onBeforeConnect = (message: unknown) => this.route(message, (o) => o.connectStarted());
  private readonly onConnected = (message: unknown) => this.route(message, (o) => o.connected());
  private readonly onConnectError = (message: unknown) =>
    this.route(message, (o) => o.connectFailed((message as ConnectMessage).error));

  attach(observer: ConnectionObserver): () => void {
    let set = this.observers.get(observer.originKey);
    if (!set) this.observers.set(observer.originKey, (set = new Set()));
    set.add(observer);
    this.subscribe();
    return () => {
      set.delete(observer);
      if (set.size === 0) this.observers.delete(observer.originKey);
      if (this.observers.size === 0) this.unsubscribe();
    };
  }

  private route(message: unknown, act: (observer: ConnectionObserver) => void): void {
    const params = (message as ConnectMessage).connectParams;
    const observers = params && this.observers.get(`${params.protocol}//${params.host}`);
    if (observers) for (const observer of observers) act(observer);
  }

  private subscribe(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    diagnostics.subscribe(CHANNELS[0], this.onBeforeConnect);
    diagnostics.subscribe(CHANNELS[1], this.onConnected);
    diagnostics.subscribe(CHANNELS[2], this.onConnectError);
  }

  private unsubscribe(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    diagnostics.unsubscribe(CHANNELS[0], this.onBeforeConnect);
    diagnostics.unsubscribe(CHANNELS[1], this.onConnected);
    diagnostics.unsubscribe(CHANNELS[2], this.onConnectError);
  }
}

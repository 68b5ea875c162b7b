import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/**
 * A kept-alive socket idle for this long when the drain sweeps is closed. Closing an idle HTTP/1.1
 * connection always races with a request the client may be writing at that instant; a socket that
 * has been quiet for a while is one the client is least likely to be about to reuse. 250 ms reset
 * requests of a busy client whose own event loop had stalled for half a second; 1 s did not.
 */
export const IDLE_CLOSE_AFTER_MS = 1_000;
const SWEEP_EVERY_MS = 100;

interface SocketState {
  inFlight: number;
  idleSince: number;
}

/** What the drain did, for the shutdown log. */
export interface HttpDrainSummary {
  /** Requests that finished between the start of the drain and its end. */
  readonly completed: number;
  /** Of those, answered with `Connection: close`. */
  readonly answeredWithClose: number;
  /** Readiness requests answered 503 `shutting_down` by the drain itself. */
  readonly readinessAnswered: number;
  /** Idle kept-alive connections the drain closed. */
  readonly idleClosed: number;
  /** Connections destroyed at the end of the grace period, and the requests still running on them. */
  readonly connectionsCut: number;
  readonly requestsCut: number;
  /** Up to five of the cut requests, as `METHOD /path` (query strings left out). */
  readonly cutSamples: readonly string[];
  readonly durationMs: number;
  /** True when every connection closed on its own within the grace period. */
  readonly drained: boolean;
}

export interface HttpDrainOptions {
  /** Paths whose requests are answered 503 `shutting_down` from the moment draining starts. */
  readonly readinessPaths: readonly string[];
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

/**
 * Drains a Node HTTP server (the one under Express or Fastify) without resetting a request that
 * could be answered. It sees every request before the framework does, so it can answer readiness
 * with 503 while the app itself keeps serving, put `Connection: close` on every answer once the
 * drain has begun, close connections that sit idle, and at the end of the grace period destroy what
 * is left, counting what it cut.
 *
 * Node's own `server.close()` is not used to stop accepting: since Node 19 it also closes every
 * connection without a request in flight at once, including one whose next request is already on
 * the wire. The listening socket is closed through `net.Server#close` instead, and idle connections
 * go after {@link IDLE_CLOSE_AFTER_MS} of quiet.
 */
export class HttpDrain {
  private readonly sockets = new Map<Socket, SocketState>();
  private readonly inFlight = new Map<ServerResponse, IncomingMessage>();
  private readonly originalEmit: Server['emit'];
  private readonly onConnection = (socket: Socket) => this.track(socket);
  private readinessOnly = false;
  private closing = false;
  private startedAt = 0;
  private completed = 0;
  private answeredWithClose = 0;
  private readinessAnswered = 0;
  private idleClosed = 0;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: Server,
    private readonly options: HttpDrainOptions,
  ) {
    server.on('connection', this.onConnection);
    this.originalEmit = server.emit;
    // Wrapping emit rather than adding a listener: the drain must run first and, for readiness,
    // instead of the framework's handler, whichever adapter added its listener and whenever.
    server.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
      if (event === 'request' && this.intercept(args[0] as IncomingMessage, args[1] as ServerResponse)) return true;
      return Reflect.apply(this.originalEmit, server, [event, ...args]) as boolean;
    }) as Server['emit'];
  }

  /** Open connections and requests in flight right now. */
  counts(): { connections: number; inFlight: number } {
    return { connections: this.sockets.size, inFlight: this.inFlight.size };
  }

  /** From now on readiness answers 503 `shutting_down`; everything else is served as before. */
  failReadiness(): void {
    this.readinessOnly = true;
    if (this.startedAt === 0) this.startedAt = performance.now();
  }

  /**
   * Stops accepting connections, answers every further request with `Connection: close`, closes
   * idle connections, and waits up to `graceMs` for the rest to finish; then destroys what is left.
   */
  async drain(graceMs: number): Promise<HttpDrainSummary> {
    this.failReadiness();
    this.closing = true;
    for (const response of this.inFlight.keys()) {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    }
    if (this.server.listening) NetServer.prototype.close.call(this.server);

    const drained = await new Promise<boolean>((resolve) => {
      const deadline = performance.now() + graceMs;
      const sweep = () => {
        this.closeIdle();
        if (this.sockets.size === 0) return finish(true);
        if (performance.now() >= deadline) return finish(false);
      };
      const finish = (ok: boolean) => {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
        resolve(ok);
      };
      // Swept from setImmediate, i.e. after the poll phase: a request already waiting in a socket's
      // receive buffer is read (and counted in flight) before its socket can look idle. Under
      // event-loop lag a timer alone would destroy such a socket with the request unread.
      // Not unref'd: once the last socket is gone nothing else may hold the process, and it must
      // live on to run app.close().
      this.sweeper = setInterval(() => setImmediate(sweep), SWEEP_EVERY_MS);
      setImmediate(sweep);
    });

    let connectionsCut = 0;
    let requestsCut = 0;
    const cutSamples: string[] = [];
    if (!drained) {
      for (const request of this.inFlight.values()) {
        requestsCut++;
        if (cutSamples.length < 5) cutSamples.push(`${request.method ?? '?'} ${pathOf(request.url)}`);
      }
      for (const socket of [...this.sockets.keys()]) {
        connectionsCut++;
        socket.destroy();
      }
    }
    return {
      completed: this.completed,
      answeredWithClose: this.answeredWithClose,
      readinessAnswered: this.readinessAnswered,
      idleClosed: this.idleClosed,
      connectionsCut,
      requestsCut,
      cutSamples,
      durationMs: Math.round(performance.now() - this.startedAt),
      drained,
    };
  }

  /** Puts the server back as it was (the drain's state is not reset). */
  dispose(): void {
    clearInterval(this.sweeper);
    this.server.off('connection', this.onConnection);
    this.server.emit = this.originalEmit;
  }

  private track(socket: Socket): void {
    const state: SocketState = { inFlight: 0, idleSince: performance.now() };
    this.sockets.set(socket, state);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Returns true when the drain answered the request itself. */
  private intercept(request: IncomingMessage, response: ServerResponse): boolean {
    const state = this.sockets.get(request.socket);
    if (state) {
      // A socket is idle from the end of its last answer, readiness probes included.
      state.inFlight++;
      response.once('close', () => {
        state.inFlight--;
        state.idleSince = performance.now();
      });
    }
    if (this.readinessOnly && this.options.readinessPaths.includes(pathOf(request.url))) {
      this.readinessAnswered++;
      const body = JSON.stringify({ status: 'shutting_down' });
      response.writeHead(503, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
        ...(this.closing ? { Connection: 'close' } : {}),
      });
      response.end(body);
      return true;
    }
    this.inFlight.set(response, request);
    if (this.closing) response.setHeader('Connection', 'close');
    response.once('close', () => {
      this.inFlight.delete(response);
      if (this.startedAt !== 0) {
        this.completed++;
        if (this.closing && response.getHeader('Connection') === 'close') this.answeredWithClose++;
      }
    });
    return false;
  }

  private closeIdle(): void {
    const now = performance.now();
    for (const [socket, state] of this.sockets) {
      if (state.inFlight === 0 && now - state.idleSince >= IDLE_CLOSE_AFTER_MS && !socket.destroyed) {
        this.idleClosed++;
        socket.destroy();
      }
    }
  }
}

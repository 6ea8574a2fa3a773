import type * as http from "node:http";
import type { Duplex } from "node:stream";

/**
 * The proxy's graceful stop: it counts the requests in flight from the
 * start; `close` stops accepting, closes idle keep-alive connections (and
 * each one that goes idle afterwards), waits up to `graceMs` for the requests
 * in flight, then cuts whatever is left. CONNECT tunnels are opaque (other
 * hosts' traffic, often idle keep-alives): they go once requests are done.
 */
export class ServerDrain {
  private active = 0;
  private closing = false;
  private onRequestsDone: (() => void) | null = null;

  constructor(
    private readonly server: http.Server,
    /** Open CONNECT sockets (tunnelled, intercepted or mid-handshake). */
    private readonly connectSockets: ReadonlySet<Duplex>,
  ) {
    server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
      this.active++;
      res.once("close", () => {
        this.active--;
        if (!this.closing) return;
        // Shutting down: a keep-alive connection that just went idle is closed now.
        server.closeIdleConnections();
        if (this.active === 0) this.onRequestsDone?.();
      });
    });
  }

  /** True once `close` was called: new CONNECT requests are refused. */
  get stopping(): boolean {
    return this.closing;
  }

  async close(graceMs: number): Promise<void> {
    this.closing = true;
    this.server.close();
    this.server.closeIdleConnections();
    if (this.active > 0) {
      let graceTimer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onRequestsDone = resolve;
        graceTimer = setTimeout(resolve, graceMs);
      });
      clearTimeout(graceTimer);
    }
    this.server.closeAllConnections();
    for (const socket of this.connectSockets) socket.destroy();
  }
}

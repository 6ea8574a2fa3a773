import { X509Certificate } from "node:crypto";
import * as http from "node:http";
import type { Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

/** Opens a CONNECT tunnel through the proxy; resolves with the raw socket (or the refusal). */
export function openTunnel(
  proxyUrl: string,
  authority: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; socket: Socket; head: Buffer }> {
  const u = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname: u.hostname,
      port: u.port,
      method: "CONNECT",
      path: authority,
      headers: { host: authority, ...headers },
      agent: false,
    });
    req.on("connect", (res, socket, head) => resolve({ status: res.statusCode ?? 0, socket, head }));
    req.on("response", (res) =>
      resolve({ status: res.statusCode ?? 0, socket: res.socket as Socket, head: Buffer.alloc(0) }),
    );
    req.on("error", reject);
    req.end();
  });
}

/** TLS over an open tunnel, trusting only `ca`. */
export function tlsOverTunnel(socket: Socket, servername: string, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ socket, servername, ca, ALPNProtocols: ["http/1.1"] }, () => resolve(tls));
    tls.once("error", reject);
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Reads a whole response: status, headers and the exact body bytes. */
export function readResponse(res: http.IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
    );
    res.on("error", reject);
  });
}

/** One HTTPS request over an established TLS socket; exact body bytes back. */
export function requestOver(
  tls: TLSSocket,
  host: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // Plain HTTP/1.1 framing over the already-encrypted socket (no agent: createConnection is used as is).
    const req = http.request(
      {
        host,
        method: opts.method ?? "POST",
        path: opts.path,
        headers: opts.headers,
        createConnection: () => tls,
      },
      (res) => readResponse(res).then(resolve, reject),
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

export function sha256Fingerprint(pemOrDer: string | Buffer): string {
  return new X509Certificate(pemOrDer).fingerprint256;
}

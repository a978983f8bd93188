import type { AddressInfo, Server, Socket } from 'node:net';

export interface Listening {
  /** `http://127.0.0.1:<port>` (or https). */
  url: string;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1, port 0: every test server here does. `close` destroys the open sockets
 * first, because a keep-alive connection would hold `server.close()` open for its whole timeout
 * (raw `net` servers have no closeAllConnections, so the sockets are tracked here for all kinds).
 */
export async function listenLocal(server: Server, scheme: 'http' | 'https' = 'http'): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let closing: Promise<void> | null = null;
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      (closing ??= new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      })),
  };
}

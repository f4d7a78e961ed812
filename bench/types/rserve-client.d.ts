/** Minimal types for rserve-client 0.3.5 (used by the benchmark only). */
declare module 'rserve-client' {
  export interface RserveClient {
    evaluate(command: string, cb: (err: Error | null, result: unknown) => void): void;
    end(): void;
  }
  export function connect(host: string, port: number, cb: (err: Error | null, client: RserveClient) => void): unknown;
}

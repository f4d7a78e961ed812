/**
 * The official `deployr` npm client, configured for a test server. It keeps its cookie and
 * CSRF token in module-level state (`sticky`), so each test file gets a fresh module instance
 * from jest's module registry.
 */
export interface DeployRResponse {
  deployr: { response: Record<string, unknown> & { success: boolean; call: string } };
  get(key: string): unknown;
}

export interface DeployRRequest {
  data(d: Record<string, unknown>): DeployRRequest;
  numeric(name: string, v: number): DeployRRequest;
  character(name: string, v: string): DeployRRequest;
  logical(name: string, v: boolean): DeployRRequest;
  routput(name: string): DeployRRequest;
  attach(file: string, filename?: string): DeployRRequest;
  end(fn?: (res: DeployRResponse) => unknown): DeployRRequest;
  io(api: string): DeployRRequest;
  error(fn: (err: DeployRResponse) => void): DeployRRequest;
  promise(): Promise<DeployRResponse>;
}

export interface DeployRClient {
  configure(options: Record<string, unknown>): DeployRClient;
  io(api: string): DeployRRequest;
  auth(username: string, password: string): DeployRRequest;
}

export function loadClient(host: string): DeployRClient {
  let client: DeployRClient | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    client = require('deployr') as DeployRClient;
  });
  client!.configure({ host, sticky: true, logging: false });
  return client!;
}

/**
 * Sends a request chain (not yet ended: `promise()` ends it) and settles with the final
 * response, or rejects with the client's error response. The client's own promise is not a
 * full Promise, so wrap it.
 */
export function run(req: DeployRRequest): Promise<DeployRResponse> {
  return new Promise((resolve, reject) => {
    req.promise().then(resolve, reject);
  });
}

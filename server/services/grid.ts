/**
 * Grid resources (live R sessions) held on behalf of users. Services that hold R sessions
 * (projects) register a releaser; /r/user/release and session expiry call through here, so the
 * user API need not know what kinds of resources exist.
 */
export interface ResourceReleaser {
  /** Releases everything the user holds; returns how many resources were released. */
  releaseUser(userId: string): Promise<number>;
  /** Releases what was bound to one HTTP session (temporary projects). */
  releaseHttpSession(sessionId: string): Promise<number>;
}

export class GridResources {
  private readonly releasers: ResourceReleaser[] = [];

  register(releaser: ResourceReleaser): void {
    this.releasers.push(releaser);
  }

  async releaseUser(userId: string): Promise<number> {
    let n = 0;
    for (const r of this.releasers) n += await r.releaseUser(userId);
    return n;
  }

  async releaseHttpSession(sessionId: string): Promise<number> {
    let n = 0;
    for (const r of this.releasers) n += await r.releaseHttpSession(sessionId);
    return n;
  }
}

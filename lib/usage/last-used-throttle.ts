// `lastUsedAt` is written at most once per interval per key (DESIGN.md section 9), not per
// request. This remembers, per key, when it was last written (monotonic clock) and the newest
// use not yet written because the key was written less than an interval ago.

export class LastUsedThrottle {
  private writtenAt = new Map<string, number>();
  private pending = new Map<string, number>();
  private prunedAt = 0;

  constructor(private readonly intervalMs: number) {}

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Splits keys into those whose last_used_at may be written now (not written within the
   * interval, or `force` when stopping) and those to keep pending. Pending keys with no new use
   * are included, so last_used_at is never more than an interval behind.
   */
  due(newestByKey: ReadonlyMap<string, number>, now: number, force: boolean): { due: Map<string, number>; notDue: Map<string, number> } {
    const due = new Map<string, number>();
    const notDue = new Map<string, number>();
    const isDue = (id: string) => {
      if (force) return true;
      const writtenAt = this.writtenAt.get(id);
      return writtenAt === undefined || now - writtenAt >= this.intervalMs;
    };
    for (const [id, at] of newestByKey) {
      const pending = this.pending.get(id);
      const newest = pending !== undefined && pending > at ? pending : at;
      (isDue(id) ? due : notDue).set(id, newest);
    }
    for (const [id, at] of this.pending) {
      if (!newestByKey.has(id) && isDue(id)) due.set(id, at);
    }
    return { due, notDue };
  }

  /** After a successful write of `due`. */
  written(due: Iterable<string>, notDue: ReadonlyMap<string, number>, now: number): void {
    for (const id of due) {
      this.writtenAt.set(id, now);
      this.pending.delete(id);
    }
    for (const [id, at] of notDue) this.pending.set(id, at);
    this.prune(now);
  }

  private prune(now: number): void {
    // Entries older than an interval mean the same as no entry; without pruning, every key ever
    // seen would stay in memory.
    if (now - this.prunedAt < this.intervalMs) return;
    this.prunedAt = now;
    for (const [id, writtenAt] of this.writtenAt) {
      if (now - writtenAt >= this.intervalMs && !this.pending.has(id)) this.writtenAt.delete(id);
    }
  }
}

import { Worker } from "node:worker_threads";

import { processSingleton } from "../process/process-singleton";

// bcrypt off the event loop (DESIGN.md section 15.7). bcryptjs's async API still computes on the
// main thread, in chunks between other callbacks, so a flood of sign-ins slowed every key
// verification. Here the hashing runs on worker threads, at most POOL_SIZE at a time: the rest
// wait their turn in a bounded queue, and past it are refused (the caller fails closed).

// These machines have 2 cores: one hashing, one for everything else.
const POOL_SIZE = 1;
const MAX_QUEUED = 64;

// Evaluated as CommonJS in the worker, so it resolves bcryptjs from the working folder like the
// server does (the repository, or the standalone output's node_modules), with no bundler involved.
const WORKER_SOURCE = `
const { parentPort, threadId } = require("node:worker_threads");
const bcrypt = require("bcryptjs");
parentPort.on("message", ({ id, op, password, cost, hash }) => {
  try {
    const result = op === "hash" ? bcrypt.hashSync(password, cost) : bcrypt.compareSync(password, hash);
    parentPort.postMessage({ id, result, threadId });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.name : "Error", threadId });
  }
});
`;

type Job = { op: "hash"; password: string; cost: number } | { op: "compare"; password: string; hash: string };

interface Pending {
  job: Job;
  resolve(value: { result: unknown; threadId: number }): void;
  reject(error: Error): void;
}

export class PasswordHasherBusyError extends Error {
  constructor() {
    super("Too many passwords are being checked at once.");
    this.name = "PasswordHasherBusyError";
  }
}

export class PasswordHasher {
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private workers = 0;
  private nextId = 0;
  /** The thread each finished job ran on, and the most that ever ran at once: for tests and metrics. */
  readonly stats = { threads: new Set<number>(), running: 0, maxRunning: 0 };

  constructor(
    private readonly poolSize = POOL_SIZE,
    private readonly maxQueued = MAX_QUEUED,
  ) {}

  async hash(password: string, cost: number): Promise<string> {
    return (await this.run({ op: "hash", password, cost })) as string;
  }

  async compare(password: string, hash: string): Promise<boolean> {
    return (await this.run({ op: "compare", password, hash })) as boolean;
  }

  private async run(job: Job): Promise<unknown> {
    if (this.queue.length >= this.maxQueued) throw new PasswordHasherBusyError();
    const { result, threadId } = await new Promise<{ result: unknown; threadId: number }>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
    this.stats.threads.add(threadId);
    return result;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.workers < this.poolSize ? this.spawn() : null);
      if (!worker) return;
      this.dispatch(worker, this.queue.shift()!);
    }
  }

  private spawn(): Worker {
    this.workers += 1;
    return new Worker(WORKER_SOURCE, { eval: true });
  }

  private dispatch(worker: Worker, pending: Pending): void {
    const id = this.nextId++;
    this.stats.running += 1;
    this.stats.maxRunning = Math.max(this.stats.maxRunning, this.stats.running);
    // Held while it works (a CLI waiting for a hash has nothing else keeping it alive); an idle
    // pool must not keep the process alive at shutdown.
    worker.ref();
    const settle = () => {
      worker.unref();
      this.stats.running -= 1;
      worker.off("message", onMessage);
      worker.off("error", onError);
    };
    const onMessage = (message: { id: number; result?: unknown; error?: string; threadId: number }) => {
      if (message.id !== id) return;
      settle();
      this.idle.push(worker);
      if (message.error) pending.reject(new Error(`password hashing failed: ${message.error}`));
      else pending.resolve({ result: message.result, threadId: message.threadId });
      this.pump();
    };
    // A worker that died is replaced by a fresh one for whatever waits next.
    const onError = (error: Error) => {
      settle();
      this.workers -= 1;
      pending.reject(new Error(`password hashing failed: ${error.name}`));
      this.pump();
    };
    worker.on("message", onMessage);
    worker.once("error", onError);
    worker.postMessage({ id, ...pending.job });
  }
}

export function sharedPasswordHasher(): PasswordHasher {
  return processSingleton("keyholdPasswordHasher", () => new PasswordHasher());
}

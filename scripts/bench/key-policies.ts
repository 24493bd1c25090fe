// `npm run bench:policies`: what an IP allowlist or a quota refill adds to verifying a key
// (issue 14: within 5% of a plain key). In process, on a fresh PostgreSQL database, the
// verifier as the server holds it (cache warm, quota credits leased in batches), one variant
// after another in alternating rounds so drift on a shared machine hits all alike. Prints, per
// variant, the median round's verifications per second of wall time and microseconds of this
// process's CPU per verification (steadier when other work shares the machine), the CPU ratio
// to the plain key, and how many quota leases were asked for and waited on.
import { createDb } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { KeyCache } from "../../lib/keys/cache";
import { issueKey, type KeySettings } from "../../lib/keys/service";
import { KeyVerifier } from "../../lib/keys/verify";
import { RateLimiter } from "../../lib/ratelimit/limiter";
import { createTestDatabase } from "../../tests/helpers/test-database";

const PER_ROUND = Number(process.env.BENCH_VERIFICATIONS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CLIENT_IP = "198.51.100.77";

const VARIANTS: Record<string, Omit<KeySettings, "name">> = {
  plain: {},
  "ip allowlist (4 entries)": { ipAllowlist: ["10.0.0.0/8", "2001:db8::/32", "203.0.113.5", "198.51.100.0/24"] },
  "quota with daily refill": { refill: { interval: "daily", amount: 2_000_000_000 } },
  "allowlist + refill": { ipAllowlist: ["198.51.100.0/24"], refill: { interval: "daily", amount: 2_000_000_000 } },
};

async function main() {
  const database = await createTestDatabase("keyhold_bench_policies");
  const db = createDb(database.url);
  try {
    await migrate(database.url);
    const verifier = new KeyVerifier(db, new KeyCache(), new RateLimiter(db));
    const keys: [string, string][] = [];
    for (const [name, settings] of Object.entries(VARIANTS)) {
      const { key } = await issueKey(db, { name, ...settings }, { type: "system", id: null });
      keys.push([name, key]);
      const first = await verifier.verify(key, [], { ip: CLIENT_IP });
      if (!first.valid) throw new Error(`${name}: ${first.code}`);
    }

    const rates = new Map<string, number[]>(keys.map(([name]) => [name, []]));
    const cpu = new Map<string, number[]>(keys.map(([name]) => [name, []]));
    const leases = new Map<string, { leases: number; waited: number }>();
    // Round -1 warms the JIT on every variant and is not counted.
    for (let round = -1; round < ROUNDS; round++) {
      for (const [name, key] of round % 2 === 0 ? keys : [...keys].reverse()) {
        const before = { ...verifier.quota.stats };
        const started = performance.now();
        const startedCpu = process.cpuUsage();
        for (let i = 0; i < PER_ROUND; i++) {
          // Requests arrive through the event loop: let it turn, as a server's would.
          if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
          const result = await verifier.verify(key, [], { ip: CLIENT_IP });
          if (!result.valid) throw new Error(`${name}: ${result.code}`);
        }
        if (round >= 0) {
          rates.get(name)!.push(PER_ROUND / ((performance.now() - started) / 1000));
          const used = process.cpuUsage(startedCpu);
          cpu.get(name)!.push((used.user + used.system) / PER_ROUND);
          const counts = leases.get(name) ?? { leases: 0, waited: 0 };
          counts.leases += verifier.quota.stats.leases - before.leases;
          counts.waited += verifier.quota.stats.waited - before.waited;
          leases.set(name, counts);
        }
      }
    }

    const plain = median(cpu.get("plain")!);
    console.log(`${ROUNDS} rounds of ${PER_ROUND} verifications per variant, cache warm, client ${CLIENT_IP}\n`);
    console.log(
      `${"variant".padEnd(28)}${"median/s".padStart(12)}${"min/s".padStart(12)}${"max/s".padStart(12)}${"CPU µs".padStart(9)}${"vs plain".padStart(10)}${"leases".padStart(9)}${"waited".padStart(9)}`,
    );
    for (const [name, values] of rates) {
      const mid = median(values);
      const cpuMid = median(cpu.get(name)!);
      const counts = leases.get(name)!;
      console.log(
        `${name.padEnd(28)}${fmt(mid).padStart(12)}${fmt(Math.min(...values)).padStart(12)}${fmt(Math.max(...values)).padStart(12)}` +
          `${cpuMid.toFixed(2).padStart(9)}${(cpuMid / plain).toFixed(3).padStart(10)}${String(counts.leases).padStart(9)}${String(counts.waited).padStart(9)}`,
      );
    }
    await verifier.quota.returnAll();
  } finally {
    await db.$disconnect();
    await database.drop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
});

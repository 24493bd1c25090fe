-- Key policies (DESIGN.md sections 15.3 and 15.4): quota refills, per-use cost, IP allowlists.

-- CreateEnum
CREATE TYPE "RefillInterval" AS ENUM ('daily', 'monthly');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "refill_interval" "RefillInterval",
ADD COLUMN     "refill_amount" INTEGER,
ADD COLUMN     "quota_reset_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "ip_allowlist" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "usage_events" ADD COLUMN     "cost" INTEGER NOT NULL DEFAULT 1;

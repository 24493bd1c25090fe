-- CreateTable
CREATE TABLE "ratelimit_windows" (
    "key_id" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "last_grant" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "ratelimit_windows_pkey" PRIMARY KEY ("key_id","window_start")
);

-- CreateIndex
CREATE INDEX "ratelimit_windows_window_start_idx" ON "ratelimit_windows"("window_start");

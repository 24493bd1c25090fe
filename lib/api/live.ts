import { z } from "zod";

// GET /api/health/live (DESIGN.md section 15.1): the process answers. Nothing else is checked,
// so a database outage never makes a load balancer restart healthy instances.
export const liveResponse = z.strictObject({ status: z.literal("ok") });

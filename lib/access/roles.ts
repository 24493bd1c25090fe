// The dashboard roles of DESIGN.md section 5, as prisma/schema.prisma's Role enum spells them.
export const ROLES = ["OWNER", "ADMIN", "VIEWER"] as const;

export type Role = (typeof ROLES)[number];

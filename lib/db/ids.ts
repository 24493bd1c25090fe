import { randomBase62 } from "../crypto/random-base62";

// Opaque ids with a type prefix, so a log line or a support ticket says what an id is
// (DESIGN.md section 8). 22 base62 characters is about 131 bits: no coordination needed.
export type IdPrefix = "key" | "usr" | "scp" | "whk" | "whd";

const ID_LENGTH = 22;
const SHAPES: Record<IdPrefix, RegExp> = {
  key: /^key_[0-9A-Za-z]{22}$/,
  usr: /^usr_[0-9A-Za-z]{22}$/,
  scp: /^scp_[0-9A-Za-z]{22}$/,
  whk: /^whk_[0-9A-Za-z]{22}$/,
  whd: /^whd_[0-9A-Za-z]{22}$/,
};

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(ID_LENGTH)}`;
}

export function isId(prefix: IdPrefix, value: string): boolean {
  return SHAPES[prefix].test(value);
}

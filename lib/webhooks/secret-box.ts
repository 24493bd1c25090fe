import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

// Webhook signing secrets at rest (DESIGN.md section 15.5): AES-256-GCM under a key derived
// from NEXTAUTH_SECRET with HKDF, so a database dump alone cannot forge signatures. The salt
// and info fix the key to this one purpose: it is never the session signing key itself.

const SALT = "keyhold";
const INFO = "webhook-signing-secret v1";
const VERSION = "v1";

function deriveKey(masterSecret: string): Buffer {
  if (masterSecret.length < 32) throw new Error("NEXTAUTH_SECRET must be set (32+ characters) to store webhook secrets");
  return Buffer.from(hkdfSync("sha256", masterSecret, SALT, INFO, 32));
}

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export function createSecretBox(masterSecret: string | undefined): SecretBox {
  const key = deriveKey(masterSecret ?? "");
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), ciphertext.toString("base64")].join(".");
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split(".");
      if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error("not a sealed webhook secret");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
      decipher.setAuthTag(Buffer.from(tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64")), decipher.final()]).toString("utf8");
    },
  };
}

/** `whsec_` and the base64 of 32 random bytes, as the Standard Webhooks spec writes secrets. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { clientIp } from "../api/client-ip";
import { getDb } from "../db/client";
import { env } from "../env";
import { throttleAddress } from "../ratelimit/throttle-address";
import { verifyCredentials } from "../users/service";
import { sharedLoginThrottle } from "./login-throttle";
import { passwordFingerprint } from "./password-fingerprint";

// Dashboard sign-in: email and password (bcrypt) checked against our users table, a JWT session
// cookie. The session carries the user id and a fingerprint of the password hash: role, disabled
// state and the current password are checked against the database on every request
// (lib/auth/session.ts), so a change applies on the next request.

export const authOptions: NextAuthOptions = {
  secret: process.env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, request) {
        const email = String(credentials?.email ?? "").trim().toLowerCase();
        const password = String(credentials?.password ?? "");
        if (!email || !password) return null;
        const headers = new Headers(request?.headers as Record<string, string> | undefined);
        const emailKey = `email:${email}`;
        const keys = [emailKey, `ip:${throttleAddress(clientIp(headers, env().KEYHOLD_TRUSTED_PROXIES))}`];
        const throttle = sharedLoginThrottle();
        const admission = throttle.begin(keys);
        // Refused unchecked, with the same answer as a wrong password: the queue for this email
        // or address is long enough that only a flood of parallel attempts can have built it.
        if ("refused" in admission) return null;
        let outcome: "success" | "failure" | "unknown" = "unknown";
        let user: Awaited<ReturnType<typeof verifyCredentials>> = null;
        try {
          // Waiting here (rather than refusing) slows guessing while a user who mistyped just sees a pause.
          if (admission.wait > 0) await new Promise((resolve) => setTimeout(resolve, admission.wait));
          user = await verifyCredentials(getDb(), email, password);
          outcome = user ? "success" : "failure";
        } finally {
          // A success clears the email's failures only: one valid account must not reset the
          // count of an address that is guessing at others.
          throttle.finish(keys, outcome, [emailKey]);
        }
        if (!user) return null;
        return { id: user.id, email: user.email, name: user.name };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        const row = await getDb().user.findUnique({ where: { id: user.id }, select: { passwordHash: true } });
        token.pwf = row ? passwordFingerprint(row.passwordHash) : null;
      }
      return token;
    },
    async session({ session, token }) {
      if (session.user) Object.assign(session.user, { id: token.sub, pwf: token.pwf });
      return session;
    },
  },
};

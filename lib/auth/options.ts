import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";

import { clientIp } from "../api/client-ip";
import { getDb } from "../db/client";
import { env } from "../env";
import { throttleAddress } from "../ratelimit/throttle-address";
import { throttledCheck } from "../ratelimit/throttled-check";
import { verifyCredentials } from "../users/service";
import { endSessions } from "./session-user";
import { SIGNIN_UNAVAILABLE } from "./signin-errors";

// Dashboard sign-in: email and password (bcrypt) checked against our users table, a JWT session
// cookie. The session carries the user id and the user's session version, nothing derived from
// the password: role, disabled state and the version are checked against the database on every
// request (lib/auth/session-user.ts), so a change, a new password or a sign-out applies on the
// next request.

export const authOptions: NextAuthOptions = {
  secret: process.env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, request) {
        const email = String(credentials?.email ?? "")
          .trim()
          .toLowerCase();
        const password = String(credentials?.password ?? "");
        if (!email || !password) return null;
        const headers = new Headers(request?.headers as Record<string, string> | undefined);
        const address = throttleAddress(clientIp(headers, env().KEYHOLD_TRUSTED_PROXIES));
        let user;
        try {
          user = await throttledCheck({ email, address }, () => verifyCredentials(getDb(), email, password));
        } catch (error) {
          console.error(`sign-in check failed: ${error instanceof Error ? error.name : typeof error}`);
          throw new Error(SIGNIN_UNAVAILABLE);
        }
        // A refusal answers like a wrong password: only a flood from this address builds one.
        if (user === null || user === "refused") return null;
        return { id: user.id, email: user.email, name: user.name };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        const row = await getDb().user.findUnique({ where: { id: user.id }, select: { sessionVersion: true } });
        token.sv = row?.sessionVersion ?? null;
      }
      return token;
    },
    async session({ session, token }) {
      if (session.user) Object.assign(session.user, { id: token.sub, sv: token.sv });
      return session;
    },
  },
  events: {
    // The browser drops its cookie; this makes a copy of it worthless too.
    async signOut({ token }) {
      await endSessions(getDb(), token?.sub);
    },
  },
};

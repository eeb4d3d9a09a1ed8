// examples/nextjs/lib/auth.ts: Better Auth on the server.
// It reads BETTER_AUTH_URL and BETTER_AUTH_SECRET from the environment; the
// jwt() plugin signs 15-minute EdDSA tokens whose iss and aud are
// BETTER_AUTH_URL, and publishes its keys at /api/auth/jwks.
import { betterAuth } from "better-auth";
import { jwt } from "better-auth/plugins";
import { Pool } from "pg";

export const auth = betterAuth({
  database: new Pool({ connectionString: process.env.DATABASE_URL }),
  emailAndPassword: { enabled: true },
  plugins: [
    jwt({
      jwt: { expirationTime: process.env.JWT_EXPIRATION_TIME ?? "15m" },
    }),
  ],
});

// Better Auth itself, as a Next.js frontend runs it, for the test suite:
// email and password sign-in and the jwt() plugin, on PostgreSQL.
// Configured by the environment: PORT, DATABASE_URL, BETTER_AUTH_URL,
// BETTER_AUTH_SECRET, and for the jwt() plugin JWT_ALG, JWKS_ROTATION_SECONDS
// and JWKS_GRACE_SECONDS. Prints "ready" once it listens.
import http from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";
import pg from "pg";

const env = process.env;
const seconds = (name) => (env[name] ? Number(env[name]) : undefined);

const auth = betterAuth({
  baseURL: env.BETTER_AUTH_URL,
  secret: env.BETTER_AUTH_SECRET,
  database: new pg.Pool({ connectionString: env.DATABASE_URL }),
  emailAndPassword: { enabled: true },
  plugins: [
    jwt({
      jwks: {
        keyPairConfig: { alg: env.JWT_ALG || "EdDSA" },
        rotationInterval: seconds("JWKS_ROTATION_SECONDS"),
        gracePeriod: seconds("JWKS_GRACE_SECONDS"),
      },
    }),
  ],
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
http
  .createServer(toNodeHandler(auth))
  .listen(Number(env.PORT), "127.0.0.1", () => console.log("ready"));

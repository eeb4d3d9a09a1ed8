// examples/nextjs/instrumentation.ts: Better Auth's tables, created or
// brought up to date when the server starts (getMigrations needs no CLI).
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { getMigrations } = await import("better-auth/db/migration");
    const { auth } = await import("./lib/auth");
    const { runMigrations } = await getMigrations(auth.options);
    await runMigrations();
  }
}

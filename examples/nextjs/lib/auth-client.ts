// examples/nextjs/lib/auth-client.ts: Better Auth in the browser, with the
// jwt() plugin's client, on the app's own origin.
import { createAuthClient } from "better-auth/react";
import { jwtClient } from "better-auth/client/plugins";

export const authClient = createAuthClient({ plugins: [jwtClient()] });

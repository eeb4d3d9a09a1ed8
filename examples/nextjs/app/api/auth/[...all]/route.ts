// examples/nextjs/app/api/auth/[...all]/route.ts: Better Auth's endpoints
// (sign-up, sign-in, /api/auth/token, /api/auth/jwks) in the App Router.
import { toNextJsHandler } from "better-auth/next-js";
import { auth } from "../../../../lib/auth";

export const { GET, POST } = toNextJsHandler(auth);

// examples/nextjs/lib/api.ts: the Todo API, typed from its contract
// (lib/api.d.ts, written by `npm run types` from openapi.yaml).
// The 15-minute token is cached until it expires, and fetched again when a
// 401 says it has expired (a clock that runs behind the API's).
import createClient from "openapi-fetch";
import type { components, paths } from "./api.d";
import { authClient } from "./auth-client";

export type Task = components["schemas"]["Task"];
export type Problem = components["schemas"]["Problem"];
export const TOKEN_EXPIRED = "https://todo-api.example/problems/token-expired";

let cached: { token: string; expiresAt: number } | null = null;

async function bearerToken(fresh: boolean): Promise<string> {
  if (!fresh && cached && Date.now() < cached.expiresAt) {
    return cached.token;
  }
  const { data, error } = await authClient.token();
  if (error || !data) {
    throw new Error("Sign in first.");
  }
  const payload = data.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const { exp } = JSON.parse(atob(payload)) as { exp: number };
  cached = { token: data.token, expiresAt: exp * 1000 };
  return data.token;
}

export function forgetToken(): void {
  cached = null;
}

async function isExpiredToken(response: Response): Promise<boolean> {
  if (response.status !== 401) {
    return false;
  }
  const problem = (await response.clone().json()) as Problem;
  return problem.type === TOKEN_EXPIRED;
}

async function authorizedFetch(request: Request): Promise<Response> {
  const send = async (fresh: boolean) => {
    const attempt = request.clone();
    attempt.headers.set("Authorization", `Bearer ${await bearerToken(fresh)}`);
    return fetch(attempt);
  };
  const response = await send(false);
  return (await isExpiredToken(response)) ? send(true) : response;
}

export function todoApi(baseUrl: string) {
  return createClient<paths>({ baseUrl, fetch: authorizedFetch });
}

export const MERGE_PATCH = { "Content-Type": "application/merge-patch+json" };

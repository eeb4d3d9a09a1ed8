// A frontend's client of the Todo API, typed from the contract the service
// publishes and calling it with openapi-fetch. The types come from
//   npx openapi-typescript $API_URL/openapi.json -o api.d.ts --default-non-nullable=false
// (the flag keeps a field with a default optional in a request body). The
// test suite type-checks this file (tsc --noEmit), then runs it on Node
// against the live service.
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { paths } from "./api.d.ts";

const env = process.env;
const userId = env.USER_ID ?? "";
const api = createClient<paths>({
  baseUrl: env.API_URL ?? "",
  headers: { Authorization: `Bearer ${env.TOKEN}` },
});
const owner = { params: { path: { user_id: userId } } };

const created = await api.POST("/api/{user_id}/tasks", {
  ...owner,
  body: { title: "Typed from the contract" },
});
assert.equal(created.response.status, 201);
assert.ok(created.data);
const task = created.data;
assert.equal(task.completed, false);
const path = { user_id: userId, task_id: task.id };

const fetched = await api.GET("/api/{user_id}/tasks/{task_id}", { params: { path } });
assert.deepEqual(fetched.data, task);

const updated = await api.PUT("/api/{user_id}/tasks/{task_id}", {
  params: { path, header: { "If-Match": created.response.headers.get("ETag") ?? "" } },
  body: { title: task.title, completed: true },
});
assert.equal(updated.data?.completed, true);

// A JSON Merge Patch goes as application/merge-patch+json: openapi-fetch
// sends application/json unless told, and that gets 415.
const etag = updated.response.headers.get("ETag") ?? "";
const patched = await api.PATCH("/api/{user_id}/tasks/{task_id}", {
  params: { path, header: { "If-Match": etag } },
  body: { completed: false, priority: "high" },
  headers: { "Content-Type": "application/merge-patch+json" },
});
assert.equal(patched.response.status, 200);
assert.equal(patched.data?.priority, "high");
const unlabelled = await api.PATCH("/api/{user_id}/tasks/{task_id}", {
  params: { path },
  body: { completed: true },
});
assert.equal(unlabelled.response.status, 415);

// The copy held is current: 304, and no body to parse.
const current = patched.response.headers.get("ETag") ?? "";
const unchanged = await api.GET("/api/{user_id}/tasks/{task_id}", {
  params: { path, header: { "If-None-Match": current } },
});
assert.equal(unchanged.response.status, 304);

const page = await api.GET("/api/{user_id}/tasks", {
  params: { path: { user_id: userId }, query: { sort: ["title", "-priority"], limit: 10 } },
});
assert.deepEqual(page.data?.items.map((t) => t.id), [task.id]);

const deleted = await api.DELETE("/api/{user_id}/tasks/{task_id}", { params: { path } });
assert.equal(deleted.response.status, 204);

const missing = await api.GET("/api/{user_id}/tasks/{task_id}", { params: { path } });
assert.equal(missing.response.status, 404);
assert.equal(missing.error?.status, 404);

// The types are strict: each line below must fail to type-check.
export function misuses(): void {
  // @ts-expect-error: a title is required
  void api.POST("/api/{user_id}/tasks", { ...owner, body: {} });
  // @ts-expect-error: completed is a boolean
  void api.POST("/api/{user_id}/tasks", { ...owner, body: { title: "x", completed: "yes" } });
  // @ts-expect-error: a title is a string
  void api.POST("/api/{user_id}/tasks", { ...owner, body: { title: 42 } });
  // @ts-expect-error: a task id is needed
  void api.GET("/api/{user_id}/tasks/{task_id}", owner);
  // @ts-expect-error: no such sort key
  void api.GET("/api/{user_id}/tasks", { params: { path: { user_id: userId }, query: { sort: "not_a_key" } } });
  // @ts-expect-error: a patch needs its body
  void api.PATCH("/api/{user_id}/tasks/{task_id}", { params: { path } });
  // @ts-expect-error: no such priority
  void api.PATCH("/api/{user_id}/tasks/{task_id}", { params: { path }, body: { priority: "urgent" } });
}

console.log("ok");

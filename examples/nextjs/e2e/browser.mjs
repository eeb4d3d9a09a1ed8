// The example driven as its users drive it, in headless Chromium
// (playwright-core, pointed at the system's Chromium by CHROMIUM). APP_URL is
// the running app, API_URL the Todo API; the app's tokens last a few seconds
// (JWT_EXPIRATION_TIME) and the API allows no clock skew, so that an
// expired token is met within the run. Prints one line per step; exits 1 on
// the first that fails.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const { APP_URL, API_URL, CHROMIUM, DOCUMENTED_HEADERS } = process.env;
const OTHER_USERS = "https://todo-api.example/problems/other-users-tasks";

const browser = await chromium.launch({ executablePath: CHROMIUM });

async function signUp(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const traffic = [];
  page.on("response", (response) =>
    traffic.push({
      method: response.request().method(),
      url: response.url(),
      status: response.status(),
    }),
  );
  await page.goto(APP_URL);
  await page.fill('input[name="email"]', `${name}-${Date.now()}@example.com`);
  await page.fill('input[name="password"]', "correct horse battery staple");
  await page.click('button[value="sign-up"]');
  const userId = await page.getByTestId("user-id").textContent();
  return { page, traffic, userId };
}

function step(name) {
  console.log(`ok ${name}`);
}

async function readError(page) {
  return (await page.getByTestId("error").last().textContent()) ?? "";
}

try {
  const alice = await signUp("alice");
  const bob = await signUp("bob");
  assert.notEqual(alice.userId, bob.userId);
  step("two users signed up");

  const tasks = alice.page.getByTestId("task");
  await alice.page.fill('input[name="title"]', "Buy milk");
  await alice.page.click('button:text("Add")');
  await tasks.filter({ hasText: "Buy milk" }).waitFor();
  await alice.page.fill('input[name="title"]', "File taxes");
  await alice.page.click('button:text("Add")');
  await tasks.filter({ hasText: "File taxes" }).waitFor();
  await alice.page.reload();
  await tasks.nth(1).waitFor();
  assert.equal(await tasks.count(), 2);
  step("created two tasks, listed after a reload");

  const before = alice.traffic.length;
  const milk = tasks.filter({ hasText: "Buy milk" }).locator('input[type="checkbox"]');
  await milk.click(); // checked once the API answers
  await alice.page.waitForFunction(
    () => document.querySelector('li input[type="checkbox"]:checked') !== null,
  );
  // The page's own stream (its reconnects) and the tag counts it reads
  // again after each change are not the toggle's.
  const toggled = alice.traffic
    .slice(before)
    .filter((r) => r.url.startsWith(API_URL) && !/\/(events|tags)$/.test(r.url));
  assert.deepEqual(
    toggled.map((r) => [r.method, r.status]),
    [["PATCH", 200]],
    JSON.stringify(toggled),
  );
  await alice.page.reload();
  await tasks.nth(1).waitFor();
  assert.equal(await milk.isChecked(), true);
  step("toggled from the list with one PATCH and If-Match, no GET");

  await tasks
    .filter({ hasText: "File taxes" })
    .getByRole("button", { name: "Delete" })
    .click();
  await tasks.filter({ hasText: "File taxes" }).waitFor({ state: "detached" });
  assert.equal(await readError(alice.page), "");
  step("deleted a task");

  await alice.page.fill('input[name="title"]', "Water the plants");
  await alice.page.fill('input[name="due_date"]', "2026-12-10");
  await alice.page.selectOption('select[name="priority"]', "high");
  await alice.page.fill('input[name="tags"]', "home, garden");
  await alice.page.check('input[name="weekly"]');
  await alice.page.click('button:text("Add")');
  const plants = tasks.filter({ hasText: "Water the plants" });
  await plants.waitFor();
  assert.equal(
    await plants.getByTestId("details").textContent(),
    "due 2026-12-10 · high · home · garden · repeats",
  );
  const sidebar = alice.page.getByTestId("tag");
  await sidebar.filter({ hasText: "garden (1)" }).waitFor();
  assert.deepEqual(await sidebar.allTextContents(), ["garden (1)", "home (1)"]);
  step("created a weekly task with a due date, a priority and tags; the sidebar counts the tags");

  await alice.page.fill('input[name="q"]', "PLANTS water");
  await tasks.filter({ hasText: "Buy milk" }).waitFor({ state: "detached" });
  assert.equal(await tasks.count(), 1);
  await alice.page.fill('input[name="q"]', "");
  await tasks.filter({ hasText: "Buy milk" }).waitFor();
  await sidebar.filter({ hasText: "garden" }).click();
  await tasks.filter({ hasText: "Buy milk" }).waitFor({ state: "detached" });
  assert.equal(await tasks.count(), 1);
  await sidebar.filter({ hasText: "garden" }).click();
  await tasks.filter({ hasText: "Buy milk" }).waitFor();
  step("searched, and filtered by a tag from the sidebar");

  await plants.locator('input[type="checkbox"]').click();
  const next = plants.filter({ hasText: "due 2026-12-17" });
  await next.waitFor();
  assert.equal(await plants.count(), 2);
  assert.equal(await next.locator('input[type="checkbox"]').isChecked(), false);
  assert.equal(await readError(alice.page), "");
  step("completing the weekly task made its next occurrence appear");

  // A second device of alice's: a browser of its own, signed in as she is.
  const device = await browser.newContext({
    storageState: await alice.page.context().storageState(),
  });
  const other = await device.newPage();
  await other.goto(APP_URL);
  const otherTasks = other.getByTestId("task");
  await otherTasks.filter({ hasText: "Buy milk" }).waitFor();
  await other.waitForTimeout(500); // its stream open
  await alice.page.fill('input[name="title"]', "Seen on both");
  await alice.page.click('button:text("Add")');
  await tasks.filter({ hasText: "Seen on both" }).waitFor();
  await otherTasks.filter({ hasText: "Seen on both" }).waitFor({ timeout: 1000 });
  step("a change on one page appeared on the other within a second, without a reload");

  await device.setOffline(true);
  await alice.page.waitForTimeout(500);
  await tasks
    .filter({ hasText: "Seen on both" })
    .getByRole("button", { name: "Delete" })
    .click();
  await tasks.filter({ hasText: "Seen on both" }).waitFor({ state: "detached" });
  await alice.page.fill('input[name="title"]', "Made while offline");
  await alice.page.click('button:text("Add")');
  await tasks.filter({ hasText: "Made while offline" }).waitFor();
  await other.waitForTimeout(1500);
  assert.equal(await otherTasks.filter({ hasText: "Seen on both" }).count(), 1);
  assert.equal(await otherTasks.filter({ hasText: "Made while offline" }).count(), 0);
  await device.setOffline(false);
  await otherTasks.filter({ hasText: "Made while offline" }).waitFor({ timeout: 5000 });
  await otherTasks.filter({ hasText: "Seen on both" }).waitFor({ state: "detached", timeout: 5000 });
  step("a page taken offline caught up when it came back, the deletion included");

  const inThreeSeconds = await alice.page.evaluate(() => {
    const at = new Date(Date.now() + 3000);
    const pad = (n) => String(n).padStart(2, "0");
    return (
      `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}` +
      `T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`
    );
  });
  await alice.page.fill('input[name="title"]', "Stretch");
  await alice.page.fill('input[name="remind_at"]', inThreeSeconds);
  await alice.page.click('button:text("Add")');
  await tasks.filter({ hasText: "Stretch" }).waitFor();
  const reminder = alice.page.getByTestId("reminder").filter({ hasText: "Stretch" });
  await reminder.waitFor({ timeout: 8000 });
  await other.getByTestId("reminder").filter({ hasText: "Stretch" }).waitFor({ timeout: 2000 });
  await alice.page.waitForTimeout(2000);
  assert.equal(await reminder.count(), 1);
  step("a reminder set a few seconds ahead showed once, on both pages");
  await device.close();

  const crossing = await bob.page.evaluate(
    async ({ api, owner }) => {
      const { token } = await (await fetch("/api/auth/token")).json();
      const response = await fetch(`${api}/api/${owner}/tasks`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      return { status: response.status, body: await response.json() };
    },
    { api: API_URL, owner: alice.userId },
  );
  assert.equal(crossing.status, 403);
  assert.equal(crossing.body.type, OTHER_USERS);
  step("the other user's path gets 403, read cross-origin");

  const read = await bob.page.evaluate(
    async ({ api, owner, names }) => {
      const { token } = await (await fetch("/api/auth/token")).json();
      const tasks = `${api}/api/${owner}/tasks`;
      const auth = { Authorization: `Bearer ${token}` };
      const responses = [
        await fetch(tasks),
        await fetch(tasks, {
          method: "POST",
          headers: { ...auth, "Content-Type": "application/json", "X-Request-ID": "from-the-browser" },
          body: JSON.stringify({ title: "Headers" }),
        }),
      ];
      for (let i = 0; i < 200 && responses.at(-1).status !== 429; i++) {
        responses.push(await fetch(tasks, { headers: auth }));
      }
      const seen = {};
      for (const response of responses) {
        for (const name of names) {
          seen[name] ??= response.headers.get(name);
        }
      }
      return seen;
    },
    { api: API_URL, owner: bob.userId, names: DOCUMENTED_HEADERS.split(",") },
  );
  const unread = Object.entries(read).filter(([, value]) => value === null);
  assert.deepEqual(unread, [], JSON.stringify(read));
  step("the browser read every documented response header");

  // The browser's clock stops a minute behind, so the cached token looks
  // valid to the app after it has expired at the API: the 401 that says so
  // makes the app fetch a fresh token and send again.
  await alice.page.clock.setFixedTime(new Date(Date.now() - 60_000));
  await alice.page.waitForTimeout(7000);
  const sent = alice.traffic.length;
  await alice.page.fill('input[name="title"]', "After expiry");
  await alice.page.click('button:text("Add")');
  await tasks.filter({ hasText: "After expiry" }).waitFor();
  // The page's stream reconnects on its own clock, fetching tokens too: the
  // create's requests are the ones in order below, whatever comes between.
  const refresh = alice.traffic
    .slice(sent)
    .filter((r) => r.url.startsWith(API_URL) || r.url.includes("/api/auth/token"))
    .map((r) => [r.method, new URL(r.url).pathname.replace(alice.userId, "{user}"), r.status])
    .filter(([, path]) => !path.endsWith("/events"));
  const expected = [
    ["POST", "/api/{user}/tasks", 401],
    ["GET", "/api/auth/token", 200],
    ["POST", "/api/{user}/tasks", 201],
    ["GET", "/api/{user}/tasks", 200],
  ];
  let found = 0;
  for (const request of refresh) {
    if (found < expected.length && JSON.stringify(request) === JSON.stringify(expected[found])) {
      found += 1;
    }
  }
  assert.equal(found, expected.length, JSON.stringify(refresh));
  step("an expired token was fetched again and the request sent again");
} catch (error) {
  console.log(`not ok: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

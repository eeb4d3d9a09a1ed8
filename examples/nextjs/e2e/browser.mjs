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

async function signUp(name, options = {}) {
  const context = await browser.newContext(options);
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

// Tasks made through the API from the app's origin, with its tokens, as
// another device would; on a page of the app's that is not the list, so
// that no stream of the user's is open meanwhile.
async function createThroughApi(page, bodies) {
  return page.evaluate(
    async ({ api, bodies }) => {
      const statuses = [];
      for (const body of bodies) {
        const { token } = await (await fetch("/api/auth/token")).json();
        const { sub } = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
        const response = await fetch(`${api}/api/${sub}/tasks`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        statuses.push(response.status);
      }
      return statuses;
    },
    { api: API_URL, bodies },
  );
}

// A task's details as shown, with the narrow no-break space some ICU
// versions put before AM and PM made a space.
async function details(task) {
  return ((await task.getByTestId("details").textContent()) ?? "").replace(/\u202f/g, " ");
}

// A local date in the page's zone, `days` from today, as YYYY-MM-DD.
async function localDate(page, days) {
  return page.evaluate((days) => {
    const at = new Date();
    at.setDate(at.getDate() + days);
    return at.toLocaleDateString("en-CA");
  }, days);
}

async function add(page, title, fields = {}) {
  await page.fill('input[name="title"]', title);
  for (const [name, value] of Object.entries(fields)) {
    if (name === "priority" || name === "weekday") await page.selectOption(`select[name="${name}"]`, value);
    else await page.fill(`input[name="${name}"]`, value);
  }
  await page.click('button:text("Add")');
  await page.getByTestId("task").filter({ hasText: title }).first().waitFor();
}

async function titles(page) {
  return page.getByTestId("task").locator("span").allTextContents();
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

  // A user in Los Angeles, as the browser's zone says.
  const carol = await signUp("carol", { timezoneId: "America/Los_Angeles" });
  const list = carol.page.getByTestId("task");
  await carol.page.goto(`${APP_URL}/api/auth/ok`);
  const fillers = Array.from({ length: 51 }, (_, n) => ({
    title: `Filler ${String(n).padStart(2, "0")}`,
    completed: n < 11,
  }));
  assert.deepEqual(await createThroughApi(carol.page, fillers), fillers.map(() => 201));
  await carol.page.goto(APP_URL);
  await list.nth(49).waitFor();
  assert.equal(await list.count(), 50);
  await carol.page.click('button:text("More")');
  await list.nth(50).waitFor();
  assert.equal(await list.count(), 51);
  assert.equal(await carol.page.locator('button:text("More")').count(), 0);
  step("paged beyond the first 50 with More, each task once");

  await carol.page.click('button:text("Clear completed")');
  await carol.page.getByTestId("notice").filter({ hasText: "Cleared 11 completed" }).waitFor();
  await list.nth(40).waitFor({ state: "detached" });
  assert.equal(await list.count(), 40);
  assert.equal(await list.locator("input:checked").count(), 0);
  step("cleared the completed tasks in one request");

  await add(carol.page, "Call mom", { due_at: "2030-12-24T18:00" });
  assert.equal(await details(list.filter({ hasText: "Call mom" })), "due Tue, Dec 24, 6:00 PM");
  // A weekday three days off, so that the chore is never due in the views below.
  const day = await carol.page.evaluate(() => {
    const at = new Date();
    at.setDate(at.getDate() + 3);
    return at.getDay();
  });
  const [rule, shown] = [["SU", "MO", "TU", "WE", "TH", "FR", "SA"][day], ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][day]];
  const weekly = new RegExp(`^due ${shown}, \\w+ \\d+, 7:30 AM · repeats$`);
  await add(carol.page, "Gym", { weekday: rule, at: "07:30" });
  const gym = list.filter({ hasText: "Gym" });
  assert.match(await details(gym), weekly);
  await gym.locator('input[type="checkbox"]').click();
  await gym.nth(1).waitFor();
  const [first, second] = await Promise.all([0, 1].map((n) => details(gym.nth(n))));
  assert.notEqual(first, second);
  assert.match(first, weekly);
  step("a timed task and a weekly rule on a chosen weekday and time, in the user's zone");

  const [yesterday, today, tomorrow] = await Promise.all([-1, 0, 1].map((d) => localDate(carol.page, d)));
  await add(carol.page, "Today all day", { due_date: today });
  await add(carol.page, "Today late", { due_at: `${today}T23:59` });
  await add(carol.page, "Today midnight", { due_at: `${today}T00:00` });
  await add(carol.page, "Tomorrow midnight", { due_at: `${tomorrow}T00:00` });
  await add(carol.page, "Late bill", { due_date: yesterday, priority: "high" });
  await carol.page.getByTestId("view").filter({ hasText: "Today" }).click();
  await list.filter({ hasText: "Filler" }).first().waitFor({ state: "detached" });
  assert.deepEqual(await titles(carol.page), ["Today midnight", "Today late", "Today all day"]);
  await carol.page.getByTestId("view").filter({ hasText: "Overdue" }).click();
  await list.filter({ hasText: "Today late" }).waitFor({ state: "detached" });
  // Both fell due at 00:00 today: the more important first.
  assert.deepEqual(await titles(carol.page), ["Late bill", "Today midnight"]);
  await carol.page.getByTestId("view").filter({ hasText: "All" }).click();
  await list.filter({ hasText: "Filler" }).first().waitFor();
  step("Today and Overdue, as the user's day, soonest and then most important first");

  // The page's stream keeps its versions current, so a stale one is made
  // here: the PATCH goes out with a version the task no longer has, as
  // one would from a page that had not yet heard of a change elsewhere.
  const bill = list.filter({ hasText: "Late bill" });
  const stale = (url) => url.pathname.includes("/tasks/");
  await carol.page.route(stale, (route) =>
    route.request().method() === "PATCH"
      ? route.continue({ headers: { ...route.request().headers(), "if-match": '"999"' } })
      : route.continue(),
  );
  await bill.locator('input[type="checkbox"]').click();
  await carol.page.getByTestId("error").filter({ hasText: "was changed elsewhere" }).waitFor();
  await carol.page.unroute(stale);
  assert.equal(await bill.locator("input").isChecked(), false);
  await bill.locator('input[type="checkbox"]').click();
  await carol.page.waitForFunction(() =>
    [...document.querySelectorAll("li")].some(
      (li) => li.textContent.includes("Late bill") && li.querySelector("input:checked"),
    ),
  );
  assert.equal(await readError(carol.page), "");
  step("a 412 showed the task as it is and saved nothing; the next try saved");

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

"use client";

import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { components, paths } from "../lib/api.d";
import { MERGE_PATCH, type Problem, type Task, forgetToken, todoApi } from "../lib/api";
import { authClient } from "../lib/auth-client";
import { type Reminder, type SyncPage, followEvents } from "../lib/events";

function describe(problem: Problem | undefined): string {
  return problem ? `${problem.status} ${problem.type}: ${problem.detail ?? problem.title}` : "";
}

function SignIn() {
  const [error, setError] = useState("");
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const button = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement;
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    const result =
      button.value === "sign-up"
        ? await authClient.signUp.email({ email, password, name: email.split("@")[0] })
        : await authClient.signIn.email({ email, password });
    setError(result.error?.message ?? "");
  };
  return (
    <form onSubmit={submit}>
      <input name="email" type="email" placeholder="email" required />
      <input name="password" type="password" placeholder="password" required minLength={8} />
      <button type="submit" value="sign-up">Sign up</button>
      <button type="submit" value="sign-in">Sign in</button>
      <p data-testid="error">{error}</p>
    </form>
  );
}

type Priority = components["schemas"]["Priority"];
type TagCount = components["schemas"]["TagCount"];
type ListQuery = NonNullable<paths["/api/{user_id}/tasks"]["get"]["parameters"]["query"]>;
const PRIORITIES: Priority[] = ["none", "low", "medium", "high"];
const WEEKDAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"] as const;
type View = "all" | "today" | "overdue";

// The browser's own zone: the user's, for dates, times and "today".
const zone = () => Intl.DateTimeFormat().resolvedOptions().timeZone as Task["time_zone"];

function due(task: Task): string {
  if (task.due_date) return `due ${task.due_date}`;
  if (!task.due_at) return "";
  // A timed task shows its wall time in its own zone.
  const shown = new Date(task.due_at).toLocaleString("en-US", {
    timeZone: task.time_zone,
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
  });
  return `due ${shown}`;
}

// The next `weekday` at `time` (HH:MM), here; a week on if that is past.
// Date's setDate keeps the wall time across a DST change.
function nextWeekday(weekday: string, time: string): Date {
  const [hours, minutes] = time.split(":").map(Number);
  const at = new Date();
  at.setHours(hours, minutes, 0, 0);
  at.setDate(at.getDate() + ((WEEKDAYS.indexOf(weekday as never) - at.getDay() + 7) % 7));
  if (at <= new Date()) at.setDate(at.getDate() + 7);
  return at;
}

// What a view lists: Today is the day as the user sees it (due_on in their
// zone), both it and Overdue soonest first, the more important first.
function viewQuery(view: View): ListQuery {
  if (view === "today") {
    return { due_on: new Date().toLocaleDateString("en-CA"), zone: zone(), sort: ["due", "-priority"] };
  }
  if (view === "overdue") return { overdue: true, sort: ["due", "-priority"] };
  return {};
}

export function Tasks({ apiUrl }: { apiUrl: string }) {
  const session = authClient.useSession();
  const api = useMemo(() => todoApi(apiUrl), [apiUrl]);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [tags, setTags] = useState<TagCount[]>([]);
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState<string | null>(null);
  const [view, setView] = useState<View>("all");
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [reminders, setReminders] = useState<Reminder[]>([]);
  const [notice, setNotice] = useState("");
  const userId = session.data?.user.id;

  const query = useMemo(
    (): ListQuery => ({
      ...viewQuery(view),
      ...(search.trim() ? { q: search } : {}),
      ...(tag ? { tag: [tag] } : {}),
    }),
    [view, search, tag],
  );

  const load = useCallback(async () => {
    if (!userId) return;
    const [listed, counted] = await Promise.all([
      api.GET("/api/{user_id}/tasks", { params: { path: { user_id: userId }, query } }),
      api.GET("/api/{user_id}/tags", { params: { path: { user_id: userId } } }),
    ]);
    setError(describe(listed.error ?? counted.error));
    if (listed.data) {
      setTasks(listed.data.items);
      setNext(listed.data.next_cursor ?? null);
    }
    if (counted.data) setTags(counted.data.items);
  }, [api, userId, query]);

  // The next page, after the ones shown: the cursor keeps its place however
  // the tasks before it change meanwhile.
  const more = async () => {
    if (!userId || !next) return;
    const listed = await api.GET("/api/{user_id}/tasks", {
      params: { path: { user_id: userId }, query: { ...query, cursor: next } },
    });
    setError(describe(listed.error));
    if (listed.data) {
      const page = listed.data;
      setTasks((current) => [...current, ...page.items.filter((t) => !current.some((c) => c.id === t.id))]);
      setNext(page.next_cursor ?? null);
    }
  };

  const loadTags = useCallback(async () => {
    if (!userId) return;
    const counted = await api.GET("/api/{user_id}/tags", { params: { path: { user_id: userId } } });
    if (counted.data) setTags(counted.data.items);
  }, [api, userId]);

  useEffect(() => {
    void load();
  }, [load]);

  // Every device in step: each change, made here or on another device,
  // comes as a sync page. A task on screen is replaced or removed in place;
  // a task not on screen, or a filter or search in use, reads the list again.
  const latest = useRef({ load, loadTags, shown: new Set<string>(), filtered: false });
  latest.current = {
    load,
    loadTags,
    shown: new Set(tasks.map((t) => t.id)),
    filtered: Boolean(search.trim() || tag || view !== "all"),
  };
  useEffect(() => {
    if (!userId) return;
    const stop = new AbortController();
    const changed = (page: SyncPage) => {
      if (page.full) return; // the stream's first pages: the list is loaded
      const { shown, filtered } = latest.current;
      if (filtered || page.changed.some((t) => !shown.has(t.id))) {
        void latest.current.load();
        return;
      }
      const changedById = new Map(page.changed.map((t) => [t.id, t]));
      const gone = new Set(page.deleted.map((d) => d.id));
      setTasks((current) =>
        current.filter((t) => !gone.has(t.id)).map((t) => changedById.get(t.id) ?? t),
      );
      void latest.current.loadTags();
    };
    const reminder = (fired: Reminder) =>
      setReminders((shown) => (shown.some((r) => r.id === fired.id) ? shown : [...shown, fired]));
    const resync = () => void latest.current.load();
    void followEvents(apiUrl, userId, { changed, reminder, resync }, stop.signal);
    return () => stop.abort();
  }, [apiUrl, userId]);

  if (session.isPending) return <p>Loading…</p>;
  if (!userId) return <SignIn />;

  const path = (task: Task) => ({ path: { user_id: userId, task_id: task.id } });

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const fields = new FormData(form);
    const dueDate = String(fields.get("due_date") ?? "");
    const dueAt = String(fields.get("due_at") ?? "");
    const weekday = String(fields.get("weekday") ?? "");
    const remindAt = String(fields.get("remind_at") ?? "");
    // Every week on a chosen day, at a chosen time here; or a date (every
    // week on its weekday when "weekly" is ticked); or a time.
    const weeklyAt = weekday ? nextWeekday(weekday, String(fields.get("at") || "09:00")) : null;
    const { data, error } = await api.POST("/api/{user_id}/tasks", {
      params: { path: { user_id: userId } },
      body: {
        title: String(fields.get("title")),
        due_date: weeklyAt ? null : dueDate || null,
        // A local date and time, in this browser's zone.
        due_at: weeklyAt?.toISOString() ?? (dueAt ? new Date(dueAt).toISOString() : null),
        // The browser's own zone: a date is due at the end of that day there,
        // and a weekly rule keeps its wall time there across DST.
        time_zone: zone(),
        priority: (fields.get("priority") ?? "none") as Priority,
        tags: String(fields.get("tags") ?? "")
          .split(",")
          .map((t) => t.trim())
          .filter((t, i, all) => t && all.indexOf(t) === i),
        recurrence: weeklyAt
          ? `FREQ=WEEKLY;BYDAY=${weekday}`
          : fields.get("weekly") && dueDate
            ? "FREQ=WEEKLY"
            : null,
        // A local date and time, in this browser's zone.
        remind_at: remindAt ? new Date(remindAt).toISOString() : null,
      },
    });
    setError(describe(error));
    if (data) {
      form.reset();
      await load();
    }
  };

  // A 412: the task changed elsewhere since this page read it (another
  // device, before this page's stream said so). Nothing was written: show
  // the task as it is now and let the user decide again.
  const changedElsewhere = async (task: Task) => {
    const { data } = await api.GET("/api/{user_id}/tasks/{task_id}", { params: path(task) });
    setTasks((current) =>
      data ? current.map((t) => (t.id === data.id ? data : t)) : current.filter((t) => t.id !== task.id),
    );
    setError(`"${task.title}" was changed elsewhere; this is it now. Nothing was saved: try again.`);
  };

  // Straight from the list: the item's version is its ETag, so no GET first.
  // Completing a recurring task creates its next occurrence: list again.
  const toggle = async (task: Task) => {
    const { data, error, response } = await api.PATCH("/api/{user_id}/tasks/{task_id}", {
      params: { ...path(task), header: { "If-Match": `"${task.version}"` } },
      headers: MERGE_PATCH,
      body: { completed: !task.completed },
    });
    if (response.status === 412) return changedElsewhere(task);
    setError(describe(error));
    if (data?.next_occurrence && !task.next_occurrence) {
      await load();
    } else if (data) {
      setTasks((current) => current.map((t) => (t.id === data.id ? data : t)));
    }
  };

  const remove = async (task: Task) => {
    const { error, response } = await api.DELETE("/api/{user_id}/tasks/{task_id}", {
      params: { ...path(task), header: { "If-Match": `"${task.version}"` } },
    });
    if (response.status === 412) return changedElsewhere(task);
    setError(describe(error));
    if (!error) setTasks((current) => current.filter((t) => t.id !== task.id));
  };

  // One request, whatever the number: completed=true says it is meant.
  const clearCompleted = async () => {
    const { data, error } = await api.DELETE("/api/{user_id}/tasks", {
      params: { path: { user_id: userId }, query: { completed: true } },
    });
    setError(describe(error));
    if (data) {
      setNotice(`Cleared ${data.deleted} completed`);
      await load();
    }
  };

  const signOut = async () => {
    forgetToken();
    await authClient.signOut();
  };

  return (
    <main>
      <p>
        Signed in as <span data-testid="user-id">{userId}</span>{" "}
        <button onClick={signOut}>Sign out</button>
      </p>
      {reminders.map((r) => (
        <p key={r.id} role="alert" data-testid="reminder">
          Reminder: {r.title}
        </p>
      ))}
      <form onSubmit={create}>
        <input name="title" placeholder="New task" required />
        <input name="due_date" type="date" aria-label="Due date" />
        <select name="priority" aria-label="Priority" defaultValue="none">
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <input name="tags" placeholder="tags, comma separated" />
        <input name="due_at" type="datetime-local" aria-label="Due at" />
        <label>
          <input name="weekly" type="checkbox" /> weekly
        </label>
        <select name="weekday" aria-label="Every week on" defaultValue="">
          <option value="">no weekly day</option>
          {WEEKDAYS.map((day) => (
            <option key={day} value={day}>
              {day}
            </option>
          ))}
        </select>
        <input name="at" type="time" aria-label="At" />
        <input name="remind_at" type="datetime-local" step="1" aria-label="Remind at" />
        <button type="submit">Add</button>
      </form>
      <input
        name="q"
        type="search"
        placeholder="Search"
        value={search}
        onChange={(event) => setSearch(event.target.value)}
      />
      <nav>
        {(["all", "today", "overdue"] as const).map((v) => (
          <button key={v} data-testid="view" aria-pressed={view === v} onClick={() => setView(v)}>
            {v === "all" ? "All" : v === "today" ? "Today" : "Overdue"}
          </button>
        ))}{" "}
        <button onClick={clearCompleted}>Clear completed</button>
        <span data-testid="notice">{notice}</span>
      </nav>
      <nav>
        {tags.map((t) => (
          <button
            key={t.name}
            data-testid="tag"
            aria-pressed={tag === t.name}
            onClick={() => setTag(tag === t.name ? null : t.name)}
          >
            {t.name} ({t.count})
          </button>
        ))}
      </nav>
      <ul>
        {tasks.map((task) => (
          <li key={task.id} data-testid="task">
            <label>
              <input type="checkbox" checked={task.completed} onChange={() => toggle(task)} />
              <span>{task.title}</span>
            </label>{" "}
            <small data-testid="details">
              {[due(task), task.priority === "none" ? "" : task.priority, ...task.tags]
                .filter(Boolean)
                .join(" · ")}
              {task.recurrence ? " · repeats" : ""}
            </small>{" "}
            <button onClick={() => remove(task)}>Delete</button>
          </li>
        ))}
      </ul>
      {next ? <button onClick={more}>More</button> : null}
      <p data-testid="error">{error}</p>
    </main>
  );
}

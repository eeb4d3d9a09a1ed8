"use client";

import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { components } from "../lib/api.d";
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
const PRIORITIES: Priority[] = ["none", "low", "medium", "high"];

function due(task: Task): string {
  if (task.due_date) return `due ${task.due_date}`;
  if (task.due_at) return `due ${new Date(task.due_at).toLocaleString()}`;
  return "";
}

export function Tasks({ apiUrl }: { apiUrl: string }) {
  const session = authClient.useSession();
  const api = useMemo(() => todoApi(apiUrl), [apiUrl]);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [tags, setTags] = useState<TagCount[]>([]);
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [reminders, setReminders] = useState<Reminder[]>([]);
  const userId = session.data?.user.id;

  const load = useCallback(async () => {
    if (!userId) return;
    const query = {
      ...(search.trim() ? { q: search } : {}),
      ...(tag ? { tag: [tag] } : {}),
    };
    const [listed, counted] = await Promise.all([
      api.GET("/api/{user_id}/tasks", { params: { path: { user_id: userId }, query } }),
      api.GET("/api/{user_id}/tags", { params: { path: { user_id: userId } } }),
    ]);
    setError(describe(listed.error ?? counted.error));
    if (listed.data) setTasks(listed.data.items);
    if (counted.data) setTags(counted.data.items);
  }, [api, userId, search, tag]);

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
    filtered: Boolean(search.trim() || tag),
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
    const remindAt = String(fields.get("remind_at") ?? "");
    const { data, error } = await api.POST("/api/{user_id}/tasks", {
      params: { path: { user_id: userId } },
      body: {
        title: String(fields.get("title")),
        due_date: dueDate || null,
        // The browser's own zone: a date is due at the end of that day there.
        time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone as Task["time_zone"],
        priority: (fields.get("priority") ?? "none") as Priority,
        tags: String(fields.get("tags") ?? "")
          .split(",")
          .map((t) => t.trim())
          .filter((t, i, all) => t && all.indexOf(t) === i),
        recurrence: fields.get("weekly") && dueDate ? "FREQ=WEEKLY" : null,
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

  // Straight from the list: the item's version is its ETag, so no GET first.
  // Completing a recurring task creates its next occurrence: list again.
  const toggle = async (task: Task) => {
    const { data, error } = await api.PATCH("/api/{user_id}/tasks/{task_id}", {
      params: { ...path(task), header: { "If-Match": `"${task.version}"` } },
      headers: MERGE_PATCH,
      body: { completed: !task.completed },
    });
    setError(describe(error));
    if (data?.next_occurrence && !task.next_occurrence) {
      await load();
    } else if (data) {
      setTasks((current) => current.map((t) => (t.id === data.id ? data : t)));
    }
  };

  const remove = async (task: Task) => {
    const { error } = await api.DELETE("/api/{user_id}/tasks/{task_id}", {
      params: { ...path(task), header: { "If-Match": `"${task.version}"` } },
    });
    setError(describe(error));
    if (!error) setTasks((current) => current.filter((t) => t.id !== task.id));
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
        <label>
          <input name="weekly" type="checkbox" /> weekly
        </label>
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
      <p data-testid="error">{error}</p>
    </main>
  );
}

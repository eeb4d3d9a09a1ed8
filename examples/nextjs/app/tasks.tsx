"use client";

import { type FormEvent, useCallback, useEffect, useMemo, useState } from "react";
import { MERGE_PATCH, type Problem, type Task, forgetToken, todoApi } from "../lib/api";
import { authClient } from "../lib/auth-client";

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

export function Tasks({ apiUrl }: { apiUrl: string }) {
  const session = authClient.useSession();
  const api = useMemo(() => todoApi(apiUrl), [apiUrl]);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [error, setError] = useState("");
  const userId = session.data?.user.id;

  const load = useCallback(async () => {
    if (!userId) return;
    const { data, error } = await api.GET("/api/{user_id}/tasks", {
      params: { path: { user_id: userId } },
    });
    setError(describe(error));
    if (data) setTasks(data.items);
  }, [api, userId]);

  useEffect(() => {
    void load();
  }, [load]);

  if (session.isPending) return <p>Loading…</p>;
  if (!userId) return <SignIn />;

  const path = (task: Task) => ({ path: { user_id: userId, task_id: task.id } });

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const title = String(new FormData(form).get("title"));
    const { data, error } = await api.POST("/api/{user_id}/tasks", {
      params: { path: { user_id: userId } },
      body: { title },
    });
    setError(describe(error));
    if (data) {
      setTasks((current) => [data, ...current]);
      form.reset();
    }
  };

  // Straight from the list: the item's version is its ETag, so no GET first.
  const toggle = async (task: Task) => {
    const { data, error } = await api.PATCH("/api/{user_id}/tasks/{task_id}", {
      params: { ...path(task), header: { "If-Match": `"${task.version}"` } },
      headers: MERGE_PATCH,
      body: { completed: !task.completed },
    });
    setError(describe(error));
    if (data) setTasks((current) => current.map((t) => (t.id === data.id ? data : t)));
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
      <form onSubmit={create}>
        <input name="title" placeholder="New task" required />
        <button type="submit">Add</button>
      </form>
      <ul>
        {tasks.map((task) => (
          <li key={task.id} data-testid="task">
            <label>
              <input type="checkbox" checked={task.completed} onChange={() => toggle(task)} />
              <span>{task.title}</span>
            </label>
            <button onClick={() => remove(task)}>Delete</button>
          </li>
        ))}
      </ul>
      <p data-testid="error">{error}</p>
    </main>
  );
}

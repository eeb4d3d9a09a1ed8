import { Tasks } from "./tasks";

// Read at request time, so one build serves every environment.
export const dynamic = "force-dynamic";

export default function Page() {
  return <Tasks apiUrl={process.env.TODO_API_URL ?? "http://127.0.0.1:8000"} />;
}

// The shapes every parents' settings form shares: a mutation of issue 12's shape (`userErrors`)
// said as a notice, and a form that does one thing with its submit button and that notice.
import { useState, type ReactNode } from "react";
import { useMutation, type AnyVariables, type DocumentInput } from "urql";
import { Button, Notice } from "../../ui";
import { payloadOutcome, type Result } from "./outcome";

type Payload = { userErrors: { code: string; message: string }[] };

/** Runs the mutation whose payload is `data[field]` and says what it came to: the server's
 * refusal, or `ok`. */
export function usePayloadMutation<K extends string, D extends { [k in K]: Payload | null }, V extends AnyVariables>(
  document: DocumentInput<D, V>,
  field: K,
): (variables: V, ok: string) => Promise<Result> {
  const [, run] = useMutation(document);
  return async (variables, ok) => payloadOutcome((await run(variables)).data?.[field], ok);
}

/** What the last action came to, if anything (a live region: read out when it changes). */
export function ResultNotice({ result }: { result: Result }) {
  return result && <Notice kind={result.kind}>{result.text}</Notice>;
}

/** What was typed into the form's field `name` (a field without state of its own). */
export function textOf(form: FormData, name: string): string {
  return String(form.get(name) ?? "");
}

/** A form that does one thing: its fields, its submit button (then `after`), and what the last
 * submit came to. `onSubmit` gets the fields' values and answers the result to show, or nothing
 * to leave it as it was. */
export function ActionForm({ submit, onSubmit, disabled, variant, after, children }: {
  submit: ReactNode;
  onSubmit: (form: FormData) => Promise<Result | undefined>;
  disabled?: boolean;
  variant?: "primary" | "secondary" | "danger";
  after?: ReactNode;
  children?: ReactNode;
}) {
  const [result, setResult] = useState<Result>(null);
  return (
    <form onSubmit={async (e) => {
      e.preventDefault();
      const r = await onSubmit(new FormData(e.currentTarget));
      if (r !== undefined) setResult(r);
    }}>
      {children}
      <Button type="submit" variant={variant} disabled={disabled}>{submit}</Button>
      {after}
      <ResultNotice result={result} />
    </form>
  );
}

// What a parents' mutation answered (issue 12's payloads: `userErrors`), as a notice.
import { problemText } from "../../labels";

export type Result = { kind: "success" | "error"; text: string } | null;

type UserError = { code: string; message: string };

export function payloadOutcome(p: { userErrors: UserError[] } | null | undefined, ok: string): Result {
  if (!p) return { kind: "error", text: "Сервер недоступен" };
  if (p.userErrors.length) return { kind: "error", text: p.userErrors.map((e) => problemText(e)).join("; ") };
  return { kind: "success", text: ok };
}

/** "a, b ,c" → ["a", "b", "c"]: one item per comma or line, blanks dropped. */
export function listOf(text: string): string[] {
  return text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
}

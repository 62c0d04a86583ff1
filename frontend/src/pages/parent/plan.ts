// Pure helpers of the pre-order and sibling-transfer pages (issue 13, point 1): the coming days,
// whether a day's cut-off has passed, the transfer amount in kopecks, Russian refusals.
import { formatDateTime, problemText } from "../../labels";
import { parseRoubles } from "../../money";

/** How many coming days the pre-order page looks at (the server allows up to 31). */
export const COMING_DAYS = 7;

/** `count` ISO dates after `today` (YYYY-MM-DD), tomorrow first. */
export function comingDates(today: string, count = COMING_DAYS): string[] {
  const [y, m, d] = today.split("-").map(Number);
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(Date.UTC(y, m - 1, d + i + 1));
    return day.toISOString().slice(0, 10);
  });
}

export type Cutoff = { open: boolean; text: string };

/** Whether orders for a day are still taken at `now` (the server's clock: `serverNow`), and the
 * sentence that says so. */
export function cutoffState(cutoffAt: string, now: number): Cutoff {
  const open = now < Date.parse(cutoffAt);
  const when = formatDateTime(cutoffAt);
  return open ? { open, text: `Заказ и отмена — до ${when}` } : { open, text: `Приём заказов закрыт ${when}` };
}

/** What a person typed in roubles → kopecks as the API's decimal string, or why not. */
export function transferAmount(input: string): { kopecks: string } | { error: string } {
  const kopecks = parseRoubles(input);
  if (kopecks === null) return { error: "Введите сумму в рублях, например 150 или 150,50" };
  if (kopecks <= 0) return { error: "Сумма должна быть больше нуля" };
  return { kopecks: String(kopecks) };
}

export const PREORDER_STATUSES: Record<string, string> = {
  PLACED: "оплачен, ждёт выдачи",
  SERVED: "выдан",
  CANCELLED: "отменён, деньги возвращены",
};

const PLAN_PROBLEMS: Record<string, string> = {
  preorder_cutoff_passed: "Приём заказов на этот день уже закрыт",
  preorder_exists: "На этот день уже есть заказ: отмените его, чтобы заказать заново",
  preorder_state: "Заказ уже выдан или отменён",
  meal_cancelled: "Школа отменила питание в этот день или это блюдо",
  unknown_preorder: "Заказ не найден",
  no_menu: "Школа не опубликовала меню на этот день",
  insufficient_funds: "Недостаточно средств на счёте",
  invalid_amount: "Неверная сумма",
  invalid_command: "Проверьте заказ: выберите от 1 до 10 блюд из меню, не больше 5 порций каждого",
  transfer_conflict: "Этот перевод уже выполнен с другими данными",
  account_closed: "Лицевой счёт закрыт",
  concurrency: "Счёт сейчас меняется, попробуйте ещё раз",
};

/** A user error in Russian: our words for its code, else the shared ones, else a plain fallback. */
export function planProblemText(e: { code: string; message: string }): string {
  const known = PLAN_PROBLEMS[e.code];
  if (known) return known;
  const shared = problemText(e);
  return shared === e.message ? "Не получилось, попробуйте ещё раз" : shared;
}

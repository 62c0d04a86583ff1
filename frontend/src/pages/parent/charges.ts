// Pure helpers of the «Списания» and «Тариф и плата» pages (issue 12, point 6): the filter a
// parent sets → the query's variables (or why not), each charge's evidence and the tariff
// history in Russian.
import type { ChargeDisputeStatus, ChargesPageQueryVariables, TerminalKind } from "../../gql/graphql";
import { TARIFFS, declineReason, formatDate } from "../../labels";
import { formatKopecks, parseRoubles } from "../../money";

/** The longest period the server answers at once, in days (`charges`: at most 92). */
export const MAX_DAYS = 92;
/** The period shown first: the last 30 days, as the server's default. */
export const DEFAULT_DAYS = 30;

/** Terminals that take money for what a pupil buys or uses. */
export const CHARGING_KINDS: [TerminalKind, string][] = [
  ["CANTEEN_POS", "Столовая"],
  ["VENDING", "Вендинг"],
  ["WARDROBE", "Гардероб"],
  ["LOCKER", "Шкафчики"],
];

export const DISPUTE_CHOICES: [ChargeDisputeStatus, string][] = [
  ["NONE", "Без спора"],
  ["OPEN", "Спор на рассмотрении"],
  ["REVERSED", "Деньги возвращены"],
  ["REJECTED", "Спор отклонён"],
];

export const DISPUTE_STATES: Record<string, string> = {
  OPEN: "спор на рассмотрении",
  REVERSED: "по спору деньги возвращены",
  REJECTED: "спор отклонён школой",
};

/** What the history argues against a charge (`Charge.flags`). */
export const FLAGS: Record<string, string> = {
  pupil_not_inside: "по турникету ребёнка в это время не было в школе",
  school_closed: "в этот день школа не работала",
  photo_mismatch: "кассир отметил, что лицо не совпало с фото",
  after_block: "списано после блокировки карты",
  offline_debt: "списано без связи, в долг",
};

export function flagText(flag: string): string {
  return FLAGS[flag] ?? flag;
}

export type ChargeFilter = {
  since: string;
  until: string;
  kinds: TerminalKind[];
  flaggedOnly: boolean;
  dispute: ChargeDisputeStatus | "";
  min: string;
  max: string;
};

export type ChargeVariables = Omit<ChargesPageQueryVariables, "contract" | "first" | "after">;

function shift(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function daysBetween(since: string, until: string): number {
  return Math.round((Date.parse(`${until}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / 86_400_000);
}

/** The filter a page opens with: every charge of the last 30 days up to `today`. */
export function defaultFilter(today: string): ChargeFilter {
  return { since: shift(today, 1 - DEFAULT_DAYS), until: today, kinds: [], flaggedOnly: false, dispute: "", min: "", max: "" };
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function amount(input: string): { kopecks: string | null } | { error: string } {
  if (input.trim() === "") return { kopecks: null };
  const kopecks = parseRoubles(input);
  return kopecks === null ? { error: "Введите сумму в рублях, например 150 или 150,50" } : { kopecks: String(kopecks) };
}

/** The query's variables for a filter, or the reason (in Russian) it cannot be asked. */
export function chargeVariables(f: ChargeFilter): { variables: ChargeVariables } | { error: string } {
  if (!ISO_DAY.test(f.since) || !ISO_DAY.test(f.until)) return { error: "Укажите обе даты периода" };
  if (f.since > f.until) return { error: "Начало периода позже его конца" };
  if (daysBetween(f.since, f.until) >= MAX_DAYS) return { error: `Период — не больше ${MAX_DAYS} дней` };
  const low = amount(f.min);
  if ("error" in low) return low;
  const high = amount(f.max);
  if ("error" in high) return high;
  if (low.kopecks !== null && high.kopecks !== null && BigInt(low.kopecks) > BigInt(high.kopecks)) {
    return { error: "Сумма «от» больше суммы «до»" };
  }
  return {
    variables: {
      since: f.since,
      until: f.until,
      terminalKinds: f.kinds.length ? f.kinds : null,
      flaggedOnly: f.flaggedOnly,
      disputeStatuses: f.dispute ? [f.dispute] : null,
      minAmount: low.kopecks,
      maxAmount: high.kopecks,
    },
  };
}

/** "2026-11-25 12:30:05" (school-local) → "25.11.2026 12:30". */
export function localTimeText(localTime: string): string {
  const [day, time = ""] = localTime.split(" ");
  return `${formatDate(day)} ${time.slice(0, 5)}`.trim();
}

export type ChargeEvidence = {
  terminalName?: string | null;
  inside: boolean;
  photoCheck?: string | null;
  offline: boolean;
  payingWallet?: string | null;
  evidence: {
    schoolOpen: boolean;
    passes: { direction: string; localTime: string }[];
    onlineReason?: string | null;
  };
};

/** The evidence of a charge as sentences, in the order a parent checks them. */
export function evidenceLines(c: ChargeEvidence): string[] {
  const lines: string[] = [];
  if (c.terminalName) lines.push(`Терминал: ${c.terminalName}`);
  const passes = c.evidence.passes.map((p) => `${p.direction === "in" ? "вход" : "выход"} ${p.localTime.slice(11, 16)}`);
  lines.push(
    (c.inside ? "По турникету ребёнок был в школе" : "По турникету ребёнка не было в школе") +
      (passes.length ? ` (проходы до покупки: ${passes.join(", ")})` : " (проходов до покупки не было)"),
  );
  lines.push(c.evidence.schoolOpen ? "Школа в этот день работала" : "Школа в этот день не работала");
  if (c.photoCheck === "confirmed") lines.push("Сверка с фото: подтверждено кассиром");
  else if (c.photoCheck === "mismatch") lines.push("Сверка с фото: не совпало");
  else lines.push("Сверка с фото не проводилась");
  if (c.offline) lines.push(`Списано без связи с сервером${c.evidence.onlineReason ? `; с сервером был бы отказ: ${declineReason(c.evidence.onlineReason).toLowerCase()}` : ""}`);
  if (c.payingWallet) lines.push(`Кассир выбрал оплату ${c.payingWallet === "REGULAR" ? "с основного счёта" : "из дотации"}`);
  return lines;
}

export type TariffEntry = {
  kind: string;
  tariff?: string | null;
  previousTariff?: string | null;
  period?: string | null;
  fee?: string | null;
  amount?: string | null;
  breakdown: { tariff?: string | null; days?: number | null; monthly?: string | null }[];
};

function tariffName(t: string | null | undefined): string {
  return t ? (TARIFFS[t] ?? t) : "—";
}

/** "2026-11" → "ноябрь 2026". */
export function monthText(period: string): string {
  const [y, m] = period.split("-").map(Number);
  const name = new Date(Date.UTC(y, m - 1, 1)).toLocaleString("ru-RU", { month: "long", timeZone: "UTC" });
  return `${name} ${y}`;
}

/** What a tariff history entry says, in one Russian sentence. */
export function tariffEntryText(e: TariffEntry): string {
  const month = e.period ? monthText(e.period) : "";
  switch (e.kind) {
    case "OPENED":
      return `Договор открыт, тариф ${tariffName(e.tariff)}`;
    case "TARIFF_CHANGED":
      return `Тариф сменён: ${tariffName(e.previousTariff)} → ${tariffName(e.tariff)}`;
    case "FEE_CHARGED":
      return `Абонентская плата за ${month}: начислено ${formatKopecks(e.fee)}, списано ${formatKopecks(e.amount)}`;
    case "FEE_DEBT_RECORDED":
      return `Абонентская плата за ${month}: не хватило ${formatKopecks(e.amount)}, записано в долг`;
    case "FEE_DEBT_COLLECTED":
      return `Долг по абонентской плате погашен при пополнении: ${formatKopecks(e.amount)}`;
    default:
      return "Изменение тарифа";
  }
}

/** How a month's fee was computed: each tariff for some days of the month. */
export function breakdownText(e: TariffEntry): string {
  return e.breakdown
    .map((p) => `${tariffName(p.tariff)}${p.days != null ? ` — ${p.days} дн.` : ""}${p.monthly != null ? ` (${formatKopecks(p.monthly)} в месяц)` : ""}`)
    .join("; ");
}

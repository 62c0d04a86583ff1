// Spending per day and per kind, from statement lines (money is integer kopecks).

export interface Line {
  localDate: string;
  kind: string;
  amount: string;
  regularChange: string;
  subsidisedChange: string;
  declined: boolean;
}

const SPENDING = new Set(["PURCHASE", "OFFLINE_PURCHASE", "CARD_FEE", "TARIFF_FEE", "FEE_DEBT"]);

function spent(line: Line): number {
  if (line.declined || !SPENDING.has(line.kind)) return 0;
  return -(Number(line.regularChange) + Number(line.subsidisedChange));
}

export function perDay(lines: Line[]): [string, number][] {
  const days = new Map<string, number>();
  for (const l of lines) {
    const s = spent(l);
    if (s > 0) days.set(l.localDate, (days.get(l.localDate) ?? 0) + s);
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export function perKind(lines: Line[]): [string, number][] {
  const kinds = new Map<string, number>();
  for (const l of lines) {
    const s = spent(l);
    if (s > 0) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + s);
  }
  return [...kinds.entries()];
}

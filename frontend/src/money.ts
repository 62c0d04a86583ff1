// Money is integer kopecks everywhere; the API sends them as decimal strings (they may exceed 2^31).

const rub = new Intl.NumberFormat("ru-RU", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "12345" (kopecks) → "123,45 ₽"; a negative amount keeps its sign. */
export function formatKopecks(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const k = BigInt(value);
  const negative = k < 0n;
  const abs = negative ? -k : k;
  const whole = abs / 100n;
  const cents = Number(abs % 100n);
  const text = rub.format(Number(whole) + cents / 100);
  return `${negative ? "−" : ""}${text} ₽`;
}

/** "123,45" or "123.45" or "123" (roubles, as a person types them) → kopecks, or null. */
export function parseRoubles(input: string): number | null {
  const text = input.replace(/\s| /g, "").replace(",", ".");
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  const cents = (m[2] ?? "").padEnd(2, "0");
  return Number(m[1]) * 100 + Number(cents || "0");
}

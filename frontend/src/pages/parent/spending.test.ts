import { expect, it } from "vitest";
import { perDay, perKind, type Line } from "./spending";

const line = (localDate: string, kind: string, regular: number, subsidised = 0, declined = false): Line => ({
  localDate, kind, amount: String(-regular - subsidised), regularChange: String(regular),
  subsidisedChange: String(subsidised), declined,
});

it("sums what left both wallets per day and per kind, not top-ups or declines", () => {
  const lines = [
    line("2026-03-02", "PURCHASE", -9000, -3000),
    line("2026-03-02", "PURCHASE", 0, 0, true),
    line("2026-03-01", "TOP_UP", 50000),
    line("2026-03-01", "CARD_FEE", -5000),
    line("2026-03-03", "OFFLINE_PURCHASE", -4500),
  ];
  expect(perDay(lines)).toEqual([["2026-03-01", 5000], ["2026-03-02", 12000], ["2026-03-03", 4500]]);
  expect(perKind(lines)).toEqual([["PURCHASE", 12000], ["CARD_FEE", 5000], ["OFFLINE_PURCHASE", 4500]]);
});

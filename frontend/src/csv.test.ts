import { expect, it } from "vitest";
import { toCsv } from "./csv";

it("quotes cells that hold the separator, quotes or line breaks", () => {
  const csv = toCsv([["дата", "сумма"], ["2026-01-05", 'обед; "большой"']]);
  expect(csv.startsWith("\uFEFF")).toBe(true);
  expect(csv).toContain('дата;сумма\r\n');
  expect(csv).toContain('2026-01-05;"обед; ""большой"""');
});

import { describe, expect, it } from "vitest";
import { formatKopecks, parseRoubles } from "./money";

describe("money", () => {
  it("formats kopecks as roubles with a comma", () => {
    expect(formatKopecks("12345")).toMatch(/^123,45\s₽$/);
    expect(formatKopecks(-500)).toMatch(/^−5,00\s₽$/);
    expect(formatKopecks("100000000000000")).toContain("₽");
    expect(formatKopecks(null)).toBe("—");
  });
  it("parses what a person types", () => {
    expect(parseRoubles("100")).toBe(10000);
    expect(parseRoubles("99,5")).toBe(9950);
    expect(parseRoubles("1 000.05")).toBe(100005);
    expect(parseRoubles("-3")).toBeNull();
    expect(parseRoubles("1.234")).toBeNull();
    expect(parseRoubles("")).toBeNull();
  });
});

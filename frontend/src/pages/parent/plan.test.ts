import { describe, expect, it } from "vitest";
import { comingDates, cutoffState, planProblemText, transferAmount } from "./plan";

describe("pre-order days and cut-off", () => {
  it("lists the coming days across a month and a leap day", () => {
    expect(comingDates("2028-02-27", 3)).toEqual(["2028-02-28", "2028-02-29", "2028-03-01"]);
    expect(comingDates("2026-12-31", 1)).toEqual(["2027-01-01"]);
  });
  it("is open strictly before the cut-off", () => {
    const cutoff = "2027-03-01T09:00:00+00:00";
    expect(cutoffState(cutoff, Date.parse("2027-03-01T08:59:59Z"))).toMatchObject({ open: true });
    expect(cutoffState(cutoff, Date.parse("2027-03-01T08:59:59Z")).text).toMatch(/^Заказ и отмена — до /);
    expect(cutoffState(cutoff, Date.parse("2027-03-01T09:00:00Z"))).toMatchObject({ open: false });
    expect(cutoffState(cutoff, Date.parse("2027-03-02T00:00:00Z")).text).toMatch(/^Приём заказов закрыт /);
  });
});

describe("transfer amount", () => {
  it("turns roubles into integer kopecks", () => {
    expect(transferAmount("150")).toEqual({ kopecks: "15000" });
    expect(transferAmount("150,5")).toEqual({ kopecks: "15050" });
    expect(transferAmount("0,01")).toEqual({ kopecks: "1" });
  });
  it("refuses what is not a positive amount", () => {
    expect(transferAmount("0")).toHaveProperty("error");
    expect(transferAmount("-5")).toHaveProperty("error");
    expect(transferAmount("1,234")).toHaveProperty("error");
    expect(transferAmount("сто")).toHaveProperty("error");
  });
  it("says refusals in Russian", () => {
    expect(planProblemText({ code: "insufficient_funds", message: "x" })).toBe("Недостаточно средств на счёте");
    expect(planProblemText({ code: "something_new", message: "english" })).toBe("Не получилось, попробуйте ещё раз");
  });
});

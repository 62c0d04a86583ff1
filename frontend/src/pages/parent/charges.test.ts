import { describe, expect, it } from "vitest";
import {
  type ChargeFilter,
  breakdownText,
  chargeVariables,
  defaultFilter,
  evidenceLines,
  flagText,
  localTimeText,
  monthText,
  tariffEntryText,
} from "./charges";

const filter = (change: Partial<ChargeFilter> = {}): ChargeFilter => ({ ...defaultFilter("2028-03-01"), ...change });

describe("the charges filter", () => {
  it("opens on the last 30 days, across a leap day", () => {
    expect(defaultFilter("2028-03-01")).toMatchObject({ since: "2028-02-01", until: "2028-03-01" });
    expect(defaultFilter("2027-01-15")).toMatchObject({ since: "2026-12-17", until: "2027-01-15" });
  });
  it("asks for every filter the parent set, amounts in kopecks", () => {
    const found = chargeVariables(
      filter({ kinds: ["VENDING", "CANTEEN_POS"], flaggedOnly: true, dispute: "OPEN", min: "45", max: "90,5" }),
    );
    expect(found).toEqual({
      variables: {
        since: "2028-02-01", until: "2028-03-01", terminalKinds: ["VENDING", "CANTEEN_POS"], flaggedOnly: true,
        disputeStatuses: ["OPEN"], minAmount: "4500", maxAmount: "9050",
      },
    });
  });
  it("leaves out what the parent did not choose", () => {
    expect(chargeVariables(filter())).toEqual({
      variables: {
        since: "2028-02-01", until: "2028-03-01", terminalKinds: null, flaggedOnly: false,
        disputeStatuses: null, minAmount: null, maxAmount: null,
      },
    });
  });
  it("takes 92 days at most, in order", () => {
    expect(chargeVariables(filter({ since: "2027-12-01", until: "2028-03-01" }))).toHaveProperty("variables");
    expect(chargeVariables(filter({ since: "2027-11-30", until: "2028-03-01" }))).toEqual({ error: "Период — не больше 92 дней" });
    expect(chargeVariables(filter({ since: "2028-03-02" }))).toEqual({ error: "Начало периода позже его конца" });
    expect(chargeVariables(filter({ until: "" }))).toEqual({ error: "Укажите обе даты периода" });
  });
  it("refuses amounts that are not roubles, or a range upside down", () => {
    expect(chargeVariables(filter({ min: "сто" }))).toHaveProperty("error");
    expect(chargeVariables(filter({ max: "-5" }))).toHaveProperty("error");
    expect(chargeVariables(filter({ min: "100", max: "99,99" }))).toEqual({ error: "Сумма «от» больше суммы «до»" });
    expect(chargeVariables(filter({ min: "100", max: "100" }))).toHaveProperty("variables");
  });
});

describe("a charge's evidence", () => {
  const charge = {
    terminalName: "Автомат у спортзала", inside: false, photoCheck: null, offline: true, payingWallet: null,
    evidence: { schoolOpen: false, passes: [{ direction: "out", localTime: "2028-02-29 13:05:00" }], onlineReason: "insufficient_funds" },
  };
  it("says each fact in Russian", () => {
    expect(evidenceLines(charge)).toEqual([
      "Терминал: Автомат у спортзала",
      "По турникету ребёнка не было в школе (проходы до покупки: выход 13:05)",
      "Школа в этот день не работала",
      "Сверка с фото не проводилась",
      "Списано без связи с сервером; с сервером был бы отказ: недостаточно средств",
    ]);
  });
  it("names the photo check and the cashier's wallet", () => {
    const lines = evidenceLines({ ...charge, inside: true, photoCheck: "mismatch", offline: false, payingWallet: "SUBSIDISED", evidence: { schoolOpen: true, passes: [] } });
    expect(lines).toContain("Сверка с фото: не совпало");
    expect(lines).toContain("Кассир выбрал оплату из дотации");
    expect(lines).toContain("По турникету ребёнок был в школе (проходов до покупки не было)");
  });
  it("words the flags, keeping a new one's code", () => {
    expect(flagText("pupil_not_inside")).toBe("по турникету ребёнка в это время не было в школе");
    expect(flagText("something_new")).toBe("something_new");
  });
  it("shows the school-local time", () => {
    expect(localTimeText("2028-02-29 13:05:07")).toBe("29.02.2028 13:05");
  });
});

describe("the tariff history", () => {
  it("tells each entry", () => {
    expect(tariffEntryText({ kind: "TARIFF_CHANGED", tariff: "MOBILE", previousTariff: "ZERO", breakdown: [] })).toBe(
      "Тариф сменён: «Нулевой» → «Мобильный»",
    );
    const fee = { kind: "FEE_CHARGED", period: "2028-02", fee: "9900", amount: "9900", breakdown: [
      { tariff: "ZERO", days: 10, monthly: "0" }, { tariff: "MOBILE", days: 19, monthly: "15000" },
    ] };
    expect(tariffEntryText(fee)).toMatch(/^Абонентская плата за февраль 2028: начислено 99,00\s₽, списано 99,00\s₽$/);
    expect(breakdownText(fee)).toMatch(/^«Нулевой» — 10 дн\. \(0,00\s₽ в месяц\); «Мобильный» — 19 дн\. \(150,00\s₽ в месяц\)$/);
    expect(tariffEntryText({ kind: "FEE_DEBT_RECORDED", period: "2028-02", amount: "500", breakdown: [] })).toMatch(/не хватило 5,00\s₽/);
  });
  it("names the month", () => {
    expect(monthText("2027-12")).toBe("декабрь 2027");
  });
});

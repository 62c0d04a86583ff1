import { describe, expect, it } from "vitest";
import { localToday } from "./today";

describe("localToday", () => {
  it("is the date in the zone it is given, not the device's", () => {
    const evening = new Date("2027-02-28T17:01:00Z"); // a minute past midnight in Novosibirsk
    expect(localToday(evening, "Asia/Novosibirsk")).toBe("2027-03-01");
    expect(localToday(evening, "Europe/Moscow")).toBe("2027-02-28");
    expect(localToday(new Date("2028-02-29T15:30:00Z"), "Asia/Vladivostok")).toBe("2028-03-01");
  });
});

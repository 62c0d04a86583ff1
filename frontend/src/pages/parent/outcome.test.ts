import { describe, expect, it } from "vitest";
import { listOf, payloadOutcome } from "./outcome";
import { keyBytes } from "./push";

describe("a parents' mutation payload", () => {
  it("is a success without user errors, and says why otherwise", () => {
    expect(payloadOutcome({ userErrors: [] }, "Сохранено")).toEqual({ kind: "success", text: "Сохранено" });
    expect(payloadOutcome({ userErrors: [{ code: "channel_not_in_tariff", message: "no" }] }, "x")).toEqual({
      kind: "error",
      text: "Этого канала нет в вашем тарифе",
    });
    expect(payloadOutcome(undefined, "x")?.kind).toBe("error");
  });
});

describe("lists typed by people", () => {
  it("split on commas and lines, blanks dropped", () => {
    expect(listOf(" COLA, SOUP\n\n,  ")).toEqual(["COLA", "SOUP"]);
  });
});

describe("the VAPID key for applicationServerKey", () => {
  it("is the base64url text as bytes, padding or not", () => {
    expect([...keyBytes("BAEC_-8")]).toEqual([4, 1, 2, 255, 239]);
    expect([...keyBytes("AQID")]).toEqual([1, 2, 3]);
  });
});

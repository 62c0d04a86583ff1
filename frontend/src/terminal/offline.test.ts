import { expect, it } from "vitest";
import { OfflineTill } from "./offline";

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

const tap = (id: string, uid: string, price: number) => ({
  tap_id: id, card_uid: uid, tapped_at: "2026-03-02T09:00:00+07:00", items: [{ code: "L", name: "Обед", price, quantity: 1 }],
});

it("sells nothing before the first deny list, then keeps to the cap and the deny list", () => {
  const till = new OfflineTill(memory());
  expect(till.decide(tap("a", "04AA", 100), "2026-03-02")).toMatchObject({ outcome: "declined", reason: "offline_cap" });
  till.saveDenyList({ version: 3, uids: ["04BB"], offline_cap: 30000 });
  expect(till.decide(tap("b", "04BB", 100), "2026-03-02")).toMatchObject({ outcome: "declined", reason: "card_blocked" });
  expect(till.decide(tap("c", "04AA", 20000), "2026-03-02").outcome).toBe("approved");
  expect(till.decide(tap("d", "04AA", 20000), "2026-03-02")).toMatchObject({ reason: "offline_cap" });
  expect(till.decide(tap("e", "04AA", 20000), "2026-03-03").outcome).toBe("approved");
  expect(till.pending().map((t) => t.tap_id)).toEqual(["c", "e"]);
  expect(till.pending()[0].offline).toBe(true);
  till.uploaded(["c"]);
  expect(till.pending().map((t) => t.tap_id)).toEqual(["e"]);
});

// The till without the network, the way the reader does it (adapters/reader/offline.py): the
// last deny list and an offline cap per card and school day decide; every tap is kept in a
// journal and uploaded in order with `offline: true` and its original `tapped_at` once the
// server answers again. The server stays the judge.

export interface Item { code: string; name: string; price: number; quantity: number; meal?: boolean }
export interface JournalTap { tap_id: string; card_uid: string; tapped_at: string; items: Item[]; offline: true; photo_check?: string }
export interface DenyList { version: number; uids: string[]; offline_cap: number }

export interface Store {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const read = <T,>(store: Store, key: string, fallback: T): T => {
  const raw = store.getItem(key);
  return raw ? (JSON.parse(raw) as T) : fallback;
};

export class OfflineTill {
  constructor(private store: Store, private prefix = "infoshkola.till") {}

  denyList(): DenyList {
    // Before the first deny list the cap is 0: nothing is sold blind.
    return read(this.store, `${this.prefix}.deny`, { version: 0, uids: [], offline_cap: 0 });
  }

  saveDenyList(list: DenyList): void {
    this.store.setItem(`${this.prefix}.deny`, JSON.stringify(list));
  }

  pending(): JournalTap[] {
    return read(this.store, `${this.prefix}.journal`, []);
  }

  private savePending(taps: JournalTap[]): void {
    this.store.setItem(`${this.prefix}.journal`, JSON.stringify(taps));
  }

  /** Decide offline; an approved purchase is journalled and counted against the cap. */
  decide(tap: Omit<JournalTap, "offline">, day: string): { outcome: "approved" | "declined"; reason: string | null; amount: number } {
    const amount = tap.items.reduce((sum, i) => sum + i.price * i.quantity, 0);
    const deny = this.denyList();
    if (deny.uids.includes(tap.card_uid)) return { outcome: "declined", reason: "card_blocked", amount };
    const spentKey = `${this.prefix}.spent.${day}.${tap.card_uid}`;
    const spent = Number(this.store.getItem(spentKey) ?? "0");
    if (spent + amount > deny.offline_cap) return { outcome: "declined", reason: "offline_cap", amount };
    this.store.setItem(spentKey, String(spent + amount));
    this.savePending([...this.pending(), { ...tap, offline: true }]);
    return { outcome: "approved", reason: null, amount };
  }

  /** Drop the uploaded taps (those the server answered, decision or refusal alike). */
  uploaded(tapIds: string[]): void {
    const done = new Set(tapIds);
    this.savePending(this.pending().filter((t) => !done.has(t.tap_id)));
  }
}

import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { TERMINAL_KINDS } from "../../labels";
import { formatKopecks, parseRoubles } from "../../money";
import { Checkbox, Field, Loading, Notice, Panel } from "../../ui";
import { ActionForm, usePayloadMutation } from "./forms";
import { MENU } from "./MenuToday";
import { listOf } from "./outcome";
import { ACCOUNT } from "./queries";

// Fragments are found by name: codegen adds them to the documents that spread them.
graphql(`
  fragment ProtectionFields on Protection { bannedItems allergens categoryLimits { terminalKind dailyLimit } frozen frozenReason }
`);
graphql(`
  fragment ProtectionChange on ProtectionPayload { protection { ...ProtectionFields } userErrors { field code message } }
`);
const PROTECTION = graphql(`
  query Protection($contract: String!) {
    protection(contractNumber: $contract) { ...ProtectionFields }
  }
`);
const CHANGE = graphql(`
  mutation ChangeProtection($input: ChangeProtectionInput!) {
    changeProtection(input: $input) { ...ProtectionChange }
  }
`);
const FREEZE = graphql(`
  mutation FreezeCards($input: FreezeCardsInput!) {
    freezeCards(input: $input) { ...ProtectionChange }
  }
`);
const UNFREEZE = graphql(`
  mutation UnfreezeCards($input: UnfreezeCardsInput!) {
    unfreezeCards(input: $input) { ...ProtectionChange }
  }
`);

/** Kopecks as a person types roubles: "15000" → "150,00". */
function roubles(k: string): string {
  return (Number(k) / 100).toFixed(2).replace(".", ",");
}

// The kinds of terminal that take money (a limit per kind makes sense only there).
const PAYING = ["CANTEEN_POS", "VENDING"] as const;

/** Bans, allergies, per-category limits and the freeze: what the till declines, and why. */
export function Protection({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data }, refetch] = useQuery({ query: PROTECTION, variables: { contract } });
  const [{ data: acc }] = useQuery({ query: ACCOUNT, variables: { contract } });
  const school = acc?.account?.schoolId;
  const today = acc?.account?.today; // the school's day, not this device's
  const [{ data: menu }] = useQuery({ query: MENU, variables: { school: school ?? "", date: today ?? "" }, pause: !school || !today });
  const change = usePayloadMutation(CHANGE, "changeProtection");
  const freeze = usePayloadMutation(FREEZE, "freezeCards");
  const unfreeze = usePayloadMutation(UNFREEZE, "unfreezeCards");
  const [bans, setBans] = useState<string | null>(null);
  const [allergens, setAllergens] = useState<string | null>(null);
  const [limits, setLimits] = useState<Record<string, string>>({});
  const [reason, setReason] = useState("");
  const p = data?.protection;
  if (!p) return <Loading />;
  const reload = () => refetch({ requestPolicy: "network-only" });
  const banText = bans ?? p.bannedItems.join(", ");
  const allergenText = allergens ?? p.allergens.join(", ");
  const items = menu?.menu.items ?? [];
  const menuAllergens = [...new Set(items.flatMap((i) => i.allergens))].sort();
  const toggle = (text: string, value: string, on: boolean) => {
    const list = listOf(text).filter((x) => x !== value);
    return (on ? [...list, value] : list).join(", ");
  };
  const limitOf = (kind: string) => p.categoryLimits.find((l) => l.terminalKind === kind)?.dailyLimit;
  const limitText = (kind: string) => limits[kind] ?? (limitOf(kind) !== undefined ? roubles(limitOf(kind)!) : "");

  return (
    <>
      <Panel title="Заморозка карт">
        {p.frozen ? (
          <Notice kind="warning">Карты заморожены: покупки отклоняются. Причина: {p.frozenReason}</Notice>
        ) : (
          <p>Карты работают. Заморозка сразу отклоняет все покупки, пока вы её не снимете.</p>
        )}
        <ActionForm submit={p.frozen ? "Снять заморозку" : "Заморозить карты"} variant={p.frozen ? "primary" : "danger"} disabled={!manage} onSubmit={async () => {
          const r = p.frozen
            ? await unfreeze({ input: { contractNumber: contract } }, "Заморозка снята")
            : await freeze({ input: { contractNumber: contract, reason: reason.trim() || "заморожено родителем" } }, "Карты заморожены");
          reload();
          return r;
        }}>
          {!p.frozen && <Field label="Причина (необязательно)" value={reason} onChange={(e) => setReason(e.target.value)} disabled={!manage} maxLength={500} />}
        </ActionForm>
      </Panel>
      <Panel title="Запреты и аллергии">
        <ActionForm submit="Сохранить запреты" disabled={!manage} onSubmit={async () => {
          const input = { contractNumber: contract, bannedItems: listOf(banText), allergens: listOf(allergenText) };
          const r = await change({ input }, "Запреты сохранены");
          setBans(null);
          setAllergens(null);
          reload();
          return r;
        }}>
          <p>Касса откажет в покупке запрещённого блюда или блюда с отмеченным аллергеном и назовёт причину.</p>
          {items.length > 0 && (
            <fieldset>
              <legend>Блюда сегодняшнего меню</legend>
              {items.map((i) => (
                <Checkbox key={i.code} label={`Запретить: ${i.name} (${i.code})`} disabled={!manage}
                  checked={listOf(banText).includes(i.code)}
                  onChange={(e) => setBans(toggle(banText, i.code, e.target.checked))} />
              ))}
            </fieldset>
          )}
          <Field label="Коды запрещённых блюд (через запятую)" value={banText} onChange={(e) => setBans(e.target.value)} disabled={!manage} />
          {menuAllergens.length > 0 && (
            <fieldset>
              <legend>Аллергены в меню</legend>
              {menuAllergens.map((a) => (
                <Checkbox key={a} label={a} disabled={!manage} checked={listOf(allergenText).includes(a)}
                  onChange={(e) => setAllergens(toggle(allergenText, a, e.target.checked))} />
              ))}
            </fieldset>
          )}
          <Field label="Аллергены (через запятую)" value={allergenText} onChange={(e) => setAllergens(e.target.value)} disabled={!manage} />
        </ActionForm>
      </Panel>
      <Panel title="Лимиты по категориям">
        <ActionForm submit="Сохранить лимиты" disabled={!manage} onSubmit={async () => {
          const categoryLimits = [];
          for (const kind of PAYING) {
            const text = limitText(kind);
            if (!text.trim()) continue;
            const k = parseRoubles(text);
            if (k === null) return { kind: "error", text: "Введите сумму в рублях" };
            categoryLimits.push({ terminalKind: kind, dailyLimit: String(k) });
          }
          const r = await change({ input: { contractNumber: contract, categoryLimits } }, "Лимиты сохранены");
          setLimits({});
          reload();
          return r;
        }}>
          <p>Сколько можно тратить в день у каждого вида терминала; пусто — без отдельного лимита, 0 — совсем нельзя.</p>
          {PAYING.map((kind) => (
            <Field key={kind} label={`${TERMINAL_KINDS[kind][0].toUpperCase()}${TERMINAL_KINDS[kind].slice(1)}, ₽ в день`} inputMode="decimal" disabled={!manage}
              hint={limitOf(kind) !== undefined ? `Сейчас: ${formatKopecks(limitOf(kind)!)}` : "Сейчас: без лимита"}
              value={limitText(kind)} onChange={(e) => setLimits((all) => ({ ...all, [kind]: e.target.value }))} />
          ))}
        </ActionForm>
      </Panel>
    </>
  );
}

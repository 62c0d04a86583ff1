import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { formatKopecks, parseRoubles } from "../../money";
import { Button, Field, Loading, Panel, Select } from "../../ui";
import { ActionForm, ResultNotice, usePayloadMutation } from "./forms";
import { payloadOutcome, type Result } from "./outcome";

const AUTOPAY = graphql(`
  query Autopayments($contract: String!) {
    autopayments(contractNumber: $contract) {
      rules { kind amount below day state card savedCardId }
      lowBalanceThreshold
    }
    savedCards(contractNumber: $contract) { id last4 savedAt }
  }
`);
const SET_UP = graphql(`
  mutation SetUpAutopay($input: SetUpAutopayInput!) {
    setUpAutopay(input: $input) { autopay { kind state } userErrors { field code message } }
  }
`);
const CHANGE_CARD = graphql(`
  mutation ChangeAutopayCard($input: ChangeAutopayCardInput!) {
    changeAutopayCard(input: $input) { userErrors { field code message } }
  }
`);
// Pause, resume and cancel take the same input and answer the same payload: one document,
// the command chosen by its flag (the others are skipped).
const RULE_COMMAND = graphql(`
  mutation AutopayRuleCommand(
    $input: AutopayRuleInput!, $pause: Boolean! = false, $resume: Boolean! = false, $cancel: Boolean! = false
  ) {
    pauseAutopay(input: $input) @include(if: $pause) { userErrors { field code message } }
    resumeAutopay(input: $input) @include(if: $resume) { userErrors { field code message } }
    cancelAutopay(input: $input) @include(if: $cancel) { userErrors { field code message } }
  }
`);
const FORGET = graphql(`
  mutation ForgetSavedCard($input: ForgetSavedCardInput!) {
    forgetSavedCard(input: $input) { savedCards { id } userErrors { field code message } }
  }
`);
const THRESHOLD = graphql(`
  mutation SetLowBalanceThreshold($input: SetLowBalanceThresholdInput!) {
    setLowBalanceThreshold(input: $input) { threshold userErrors { field code message } }
  }
`);

const KINDS: Record<string, string> = { MONTHLY: "Ежемесячно", THRESHOLD: "При низком балансе" };
const STATES: Record<string, string> = { ACTIVE: "работает", PAUSED: "приостановлен", CANCELLED: "отменён" };
const DONE = { pause: "Автоплатёж приостановлен", resume: "Автоплатёж возобновлён", cancel: "Автоплатёж отменён" };

/** Autopayment rules by a saved card, and the low-balance alert. */
export function Autopay({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data }, refetch] = useQuery({ query: AUTOPAY, variables: { contract } });
  const setUp = usePayloadMutation(SET_UP, "setUpAutopay");
  const changeCard = usePayloadMutation(CHANGE_CARD, "changeAutopayCard");
  const [, ruleCommand] = useMutation(RULE_COMMAND);
  const setThreshold = usePayloadMutation(THRESHOLD, "setLowBalanceThreshold");
  const forget = usePayloadMutation(FORGET, "forgetSavedCard");
  const [kind, setKind] = useState("MONTHLY");
  const [amount, setAmount] = useState("");
  const [below, setBelow] = useState("");
  const [day, setDay] = useState("1");
  const [card, setCard] = useState("");
  const [cardOf, setCardOf] = useState<Record<string, string>>({}); // rule kind -> card chosen
  const [alert, setAlert] = useState("");
  const [ruleResult, setRuleResult] = useState<Result>(null);
  const settings = data?.autopayments;
  if (!settings || !data) return <Loading />;
  const cards = data.savedCards;
  const chosen = cards.some((c) => c.id === card) ? card : cards[0]?.id ?? "";
  const cardOptions = cards.map((c): [string, string] => [c.id, `•••• ${c.last4}`]);
  const reload = () => refetch({ requestPolicy: "network-only" });

  async function act(rule: string, what: keyof typeof DONE) {
    const input = { contractNumber: contract, kind: rule as never };
    const answer = await ruleCommand({ input, pause: what === "pause", resume: what === "resume", cancel: what === "cancel" });
    setRuleResult(payloadOutcome(answer.data?.[`${what}Autopay` as const], DONE[what]));
    reload();
  }

  /** The saved card a rule pays by, or the one chosen for it (its own first, when still saved). */
  function cardChosen(rule: { kind: string; savedCardId?: string | null }): string {
    const chosen = cardOf[rule.kind] ?? rule.savedCardId ?? "";
    return cards.some((c) => c.id === chosen) ? chosen : cards[0]?.id ?? "";
  }

  async function payBy(rule: string, id: string) {
    const last4 = cards.find((c) => c.id === id)?.last4;
    const input = { contractNumber: contract, kind: rule as never, savedCardId: id };
    setRuleResult(await changeCard({ input }, `Автоплатёж будет списываться с карты •••• ${last4}`));
    reload();
  }

  async function forgetCard(id: string) {
    setRuleResult(await forget({ input: { contractNumber: contract, savedCardId: id } }, "Карта забыта"));
    reload();
  }

  return (
    <>
      <Panel title="Оповещение о низком балансе">
        <ActionForm submit="Сохранить порог" disabled={!manage} onSubmit={async () => {
          const k = parseRoubles(alert);
          if (k === null) return { kind: "error", text: "Введите сумму в рублях (0 — не оповещать)" };
          const input = { contractNumber: contract, threshold: String(k) };
          const r = await setThreshold({ input }, k ? `Оповестим, когда баланс станет ниже ${formatKopecks(k)}` : "Оповещение выключено");
          setAlert("");
          reload();
          return r;
        }}>
          <p>Сейчас: {settings.lowBalanceThreshold === "0" ? "не оповещать" : `ниже ${formatKopecks(settings.lowBalanceThreshold)}`}</p>
          <Field label="Порог оповещения, ₽" inputMode="decimal" value={alert} onChange={(e) => setAlert(e.target.value)} disabled={!manage} required />
        </ActionForm>
      </Panel>
      <Panel title="Автоплатежи">
        {settings.rules.length === 0 ? (
          <p className="muted">Автоплатежей нет.</p>
        ) : (
          <ul className="list">
            {settings.rules.map((r) => (
              <li key={r.kind}>
                <p>
                  <strong>{KINDS[r.kind]}</strong>: {r.kind === "MONTHLY"
                    ? `${formatKopecks(r.amount)} ${r.day}-го числа`
                    : `до ${formatKopecks(r.amount)}, когда баланс ниже ${formatKopecks(r.below)}`}
                  {" "}{r.card ? `с карты ${r.card}` : "карта удалена — выберите карту заново"} — {STATES[r.state]}
                </p>
                {r.state === "ACTIVE" && <Button variant="secondary" disabled={!manage} onClick={() => act(r.kind, "pause")}>Приостановить</Button>}
                {r.state === "PAUSED" && <Button variant="secondary" disabled={!manage} onClick={() => act(r.kind, "resume")}>Возобновить</Button>}
                {r.state !== "CANCELLED" && <Button variant="danger" disabled={!manage} onClick={() => act(r.kind, "cancel")}>Отменить</Button>}
                {r.state !== "CANCELLED" && cards.some((c) => c.id !== r.savedCardId) && (
                  <div className="row">
                    <Select label={`Карта автоплатежа «${KINDS[r.kind]}»`} value={cardChosen(r)} disabled={!manage}
                      onChange={(e) => setCardOf({ ...cardOf, [r.kind]: e.target.value })}
                      options={cardOptions} />
                    <Button variant="secondary" disabled={!manage || cardChosen(r) === r.savedCardId}
                      onClick={() => payBy(r.kind, cardChosen(r))}>Сменить карту</Button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
        <ResultNotice result={ruleResult} />
      </Panel>
      <Panel title="Сохранённые карты">
        {cards.length === 0 ? (
          <p className="muted">Сохранённых карт нет: пополните счёт картой с отметкой «Запомнить карту».</p>
        ) : (
          <ul className="list">
            {cards.map((c) => (
              <li key={c.id}>
                <p>•••• {c.last4}</p>
                <Button variant="danger" disabled={!manage} onClick={() => forgetCard(c.id)}>Забыть карту</Button>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <Panel title="Новый автоплатёж">
        <ActionForm submit="Настроить автоплатёж" disabled={!manage} onSubmit={async () => {
          const k = parseRoubles(amount);
          const b = kind === "THRESHOLD" ? parseRoubles(below) : null;
          if (k === null || (kind === "THRESHOLD" && b === null)) return { kind: "error", text: "Введите суммы в рублях" };
          if (!chosen) return { kind: "error", text: "Сначала сохраните карту: пополните счёт с отметкой «Запомнить карту»" };
          const input = {
            contractNumber: contract, kind: kind as never, amount: String(k), savedCardId: chosen,
            below: b === null ? null : String(b), day: kind === "MONTHLY" ? Number(day) : null,
          };
          const r = await setUp({ input }, "Автоплатёж настроен");
          reload();
          return r;
        }}>
          <Select label="Когда пополнять" value={kind} onChange={(e) => setKind(e.target.value)} disabled={!manage}
            options={Object.entries(KINDS)} />
          <Field label={kind === "MONTHLY" ? "Сумма пополнения, ₽" : "Пополнять до, ₽"} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} disabled={!manage} required />
          {kind === "THRESHOLD"
            ? <Field label="Когда баланс ниже, ₽" inputMode="decimal" value={below} onChange={(e) => setBelow(e.target.value)} disabled={!manage} required />
            : <Field label="День месяца (1–28)" type="number" min={1} max={28} value={day} onChange={(e) => setDay(e.target.value)} disabled={!manage} required />}
          <Select label="Сохранённая карта" value={chosen} onChange={(e) => setCard(e.target.value)} disabled={!manage || cards.length === 0}
            options={cardOptions} />
        </ActionForm>
      </Panel>
    </>
  );
}

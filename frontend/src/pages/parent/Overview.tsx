import { useEffect, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../../gql";
import { CARD_STATES, MOVEMENT_KINDS, formatDateTime, problemText } from "../../labels";
import { Button, Field, Loading, Money, Notice, Panel } from "../../ui";
import { ACCOUNT, LIVE, useSchoolZone } from "./queries";
import { TopUp } from "./TopUp";

const BLOCK = graphql(`
  mutation BlockCard($contract: String!, $uid: String!) {
    blockCard(input: { contractNumber: $contract, uid: $uid, reason: "lost" }) {
      userErrors { code message }
      position
    }
  }
`);

const DUPLICATE = graphql(`
  mutation OrderDuplicate($contract: String!, $blocked: String!, $newUid: String!) {
    orderDuplicateCard(input: { contractNumber: $contract, blockedUid: $blocked, newUid: $newUid }) {
      userErrors { code message }
      position
    }
  }
`);

const LIVE_KINDS: Record<string, string> = {
  TOP_UP: "Пополнение",
  PURCHASE_APPROVED: "Покупка",
  PURCHASE_DECLINED: "Отказ",
  OFFLINE_PURCHASE: "Покупка без связи",
  PASS_IN: "Вход в школу",
  PASS_OUT: "Выход из школы",
  PASS_DENIED: "Проход не разрешён",
  OTHER_MOVEMENT: "Движение средств",
};

type LiveEvent = { position: string; kind: string; at: string; amount: string; reason: string };

export function Overview({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ACCOUNT, variables: { contract } });
  const [message, setMessage] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, block] = useMutation(BLOCK);
  const zone = useSchoolZone(contract);
  const account = data?.account;
  // Live from the position the page already shows: nothing between the two is missed.
  const [since, setSince] = useState<string | null>(null);
  useEffect(() => {
    if (account && since === null) setSince(account.position);
  }, [account, since]);
  const [live] = useSubscription(
    { query: LIVE, variables: { contract, after: since }, pause: since === null },
    (prev: LiveEvent[] = [], event) => {
      refetch({ requestPolicy: "network-only" });
      return [event.accountEvents as LiveEvent, ...prev].slice(0, 20);
    },
  );
  if (fetching && !account) return <Loading />;
  if (error || !account) return <Notice kind="error">Не удалось загрузить счёт</Notice>;

  async function blockCard(uid: string) {
    if (!window.confirm(`Заблокировать карту ${uid}? Терминалы перестанут её принимать.`)) return;
    const r = (await block({ contract, uid })).data?.blockCard;
    const refusal = r?.userErrors[0];
    if (refusal) setMessage({ kind: "error", text: problemText(refusal) });
    else if (r) {
      setMessage({ kind: "success", text: `Карта ${uid} заблокирована` });
      refetch({ requestPolicy: "network-only" });
    }
  }

  const blocked = account.cards.filter((c) => c.state === "BLOCKED");
  return (
    <>
      <Panel title="Баланс">
        <div className="wallets">
          <div>
            <span className="muted">Основной кошелёк</span>
            <span className="big" data-testid="regular"><Money value={account.regular} /></span>
          </div>
          <div>
            <span className="muted">Дотация</span>
            <span className="big"><Money value={account.subsidised} /></span>
          </div>
        </div>
        <p>
          Сегодня потрачено <Money value={account.spentToday} /> из дневного лимита <Money value={account.dailyLimit} />
        </p>
      </Panel>
      <Panel title="Сейчас">
        {live.data ? (
          <ul className="live" aria-live="polite" aria-label="События по карте">
            {live.data.map((e) => (
              <li key={e.position} className={e.kind === "PURCHASE_DECLINED" ? "declined" : undefined}>
                {formatDateTime(e.at, zone)} · {LIVE_KINDS[e.kind] ?? MOVEMENT_KINDS[e.kind] ?? e.kind} · <Money value={e.amount} />
                <br />
                <span className="muted">{e.reason}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted" aria-live="polite">Покупки и проходы появятся здесь сразу, без обновления страницы.</p>
        )}
      </Panel>
      <Panel title="Карты">
        {message && <Notice kind={message.kind}>{message.text}</Notice>}
        {account.cards.length === 0 && <p className="muted">Карт нет.</p>}
        <ul className="list" aria-label="Карты ученика">
          {account.cards.map((c) => (
            <li key={c.uid}>
              <span>Карта <strong>{c.uid}</strong> — {CARD_STATES[c.state]}</span>
              {manage && c.state !== "BLOCKED" && (
                <Button variant="danger" onClick={() => blockCard(c.uid)} aria-label={`Заблокировать карту ${c.uid}`}>
                  Заблокировать
                </Button>
              )}
            </li>
          ))}
        </ul>
        {manage && blocked.length > 0 && <Duplicate contract={contract} blocked={blocked[blocked.length - 1].uid} onDone={() => refetch({ requestPolicy: "network-only" })} />}
      </Panel>
      {manage && <TopUp contract={contract} />}
    </>
  );
}

function Duplicate({ contract, blocked, onDone }: { contract: string; blocked: string; onDone: () => void }) {
  const [newUid, setNewUid] = useState("");
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, order] = useMutation(DUPLICATE);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        const r = (await order({ contract, blocked, newUid: newUid.trim() })).data?.orderDuplicateCard;
        const refusal = r?.userErrors[0];
        if (refusal) setResult({ kind: "error", text: problemText(refusal) });
        else if (r) {
          setResult({ kind: "success", text: "Дубликат заказан, плата списана с основного кошелька" });
          onDone();
        }
      }}
    >
      <h3>Дубликат карты {blocked}</h3>
      <Field label="Номер новой карты (выдаёт школа)" value={newUid} onChange={(e) => setNewUid(e.target.value)} required />
      <Button type="submit">Заказать дубликат (50 ₽)</Button>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
    </form>
  );
}

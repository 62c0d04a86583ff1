import { useState } from "react";
import { useClient } from "urql";
import { parseRoubles } from "../../money";
import { Button, Checkbox, Field, Money, Notice, Panel, Unavailable } from "../../ui";

// The top-up fields are being added to the schema (issue 12: topUpQuote, startTopUp). They are
// asked for by name, untyped, so this screen works as soon as the server has them and says
// plainly that it cannot top up while it does not.
const QUOTE = `query TopUpQuote($contract: String!, $amount: Kopecks!) {
  topUpQuote(contractNumber: $contract, amount: $amount, channel: BANK_CARD) { amount commission total rate }
}`;
const START = `mutation StartTopUp($contract: String!, $amount: Kopecks!, $returnUrl: String, $saveCard: Boolean!) {
  startTopUp(input: { contractNumber: $contract, amount: $amount, channel: BANK_CARD, returnUrl: $returnUrl, saveCard: $saveCard }) {
    topUp { paymentId status confirmationUrl commission total }
    userErrors { message }
  }
}`;

type Quote = { amount: string; commission: string; total: string; rate: string };

export function TopUp({ contract }: { contract: string }) {
  const client = useClient();
  const [amount, setAmount] = useState("");
  const [quote, setQuote] = useState<Quote | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saveCard, setSaveCard] = useState(false);

  async function ask(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    setQuote(null);
    const kopecks = parseRoubles(amount);
    if (!kopecks) return setError("Введите сумму в рублях, например 500");
    const r = await client.query(QUOTE, { contract, amount: String(kopecks) }, { requestPolicy: "network-only" }).toPromise();
    if (r.error?.graphQLErrors.some((g) => /topUpQuote|Cannot query field/.test(g.message))) return setMissing(true);
    if (r.error || !r.data?.topUpQuote) return setError("Не удалось рассчитать комиссию");
    setQuote(r.data.topUpQuote as Quote);
  }

  async function pay() {
    if (!quote) return;
    const r = await client.mutation(START, { contract, amount: quote.amount, returnUrl: window.location.href, saveCard }).toPromise();
    const started = r.data?.startTopUp;
    if (started?.topUp?.confirmationUrl) window.location.assign(started.topUp.confirmationUrl);
    else setError(started?.userErrors?.[0]?.message ?? "Платёж не начат");
  }

  return (
    <Panel title="Пополнить банковской картой">
      {missing ? (
        <Unavailable what="Пополнение картой" needs="запрос комиссии и оплату (topUpQuote, startTopUp)" />
      ) : (
        <form onSubmit={ask}>
          <Field label="Сумма пополнения, ₽" inputMode="decimal" value={amount} onChange={(e) => { setAmount(e.target.value); setQuote(null); }} required />
          <Button type="submit" variant="secondary">Рассчитать комиссию</Button>
        </form>
      )}
      {quote && (
        <div data-testid="quote">
          <Notice>
            Зачислим <Money value={quote.amount} />, комиссия банка <Money value={quote.commission} />,
            с карты спишется <strong><Money value={quote.total} /></strong>.
          </Notice>
          <Checkbox label="Запомнить карту" checked={saveCard} onChange={(e) => setSaveCard(e.target.checked)} />
          <p className="muted">Сохранённой картой можно оплачивать автоплатежи. Номер карты хранит банк, у нас — только ссылка на неё и последние 4 цифры.</p>
          <Button onClick={pay}>Оплатить <Money value={quote.total} /></Button>
        </div>
      )}
      {error && <Notice kind="error">{error}</Notice>}
    </Panel>
  );
}

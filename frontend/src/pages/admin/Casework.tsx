import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { TERMINAL_KINDS, formatDateTime, problemText } from "../../labels";
import { localToday } from "../../today";
import { Button, Field, Money, Notice, Panel, TextArea, Unavailable } from "../../ui";
import { CHARGES } from "../parent/queries";

const REVERSE = graphql(`
  mutation Reverse($contract: String!, $key: String!, $note: String!) {
    reverseCharge(input: { contractNumber: $contract, chargeKey: $key, note: $note }) { userErrors { code message } position }
  }
`);
const REJECT = graphql(`
  mutation Reject($contract: String!, $key: String!, $reason: String!) {
    rejectDispute(input: { contractNumber: $contract, chargeKey: $key, reason: $reason }) { userErrors { code message } position }
  }
`);

export function Casework() {
  const [contract, setContract] = useState("");
  const [on, setOn] = useState(localToday());
  const [query, setQuery] = useState<{ contract: string; on: string } | null>(null);
  const [{ data }] = useQuery({ query: CHARGES, variables: query ?? { contract: "", on }, pause: !query });
  const charges = data?.charges.edges.map((e) => e.node);
  const [text, setText] = useState("");
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, reverse] = useMutation(REVERSE);
  const [, reject] = useMutation(REJECT);

  async function decide(key: string, upheld: boolean) {
    if (!query) return;
    const r = upheld
      ? (await reverse({ contract: query.contract, key, note: text })).data?.reverseCharge
      : (await reject({ contract: query.contract, key, reason: text })).data?.rejectDispute;
    const refusal = r?.userErrors[0];
    if (refusal) setResult({ kind: "error", text: problemText(refusal) });
    else if (r) setResult({ kind: "success", text: upheld ? "Списание возвращено родителю" : "Спор отклонён" });
  }

  return (
    <>
      <Panel title="Очередь споров и возвратов">
        <Unavailable what="Очереди споров и возвратов" needs="списки открытых споров и заявок на возврат школы" />
      </Panel>
      <Panel title="Решить спор по списанию">
        <form className="row" onSubmit={(e) => { e.preventDefault(); setQuery({ contract: contract.trim(), on }); }}>
          <Field label="Номер договора" value={contract} onChange={(e) => setContract(e.target.value)} required />
          <Field label="Дата списания" type="date" value={on} onChange={(e) => setOn(e.target.value)} required />
          <Button type="submit">Показать списания</Button>
        </form>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
        {query && charges && charges.length === 0 && <p className="muted">Списаний в этот день нет.</p>}
        {charges?.map((c) => (
          <div key={c.key} className="panel">
            <h3>{formatDateTime(c.tappedAt)} · {TERMINAL_KINDS[c.terminalKind]} · <Money value={c.amount} /></h3>
            <p>Основной кошелёк <Money value={c.fromRegular} />, дотация <Money value={c.fromSubsidised} />{c.offline ? "; решено без связи" : ""}</p>
            <ul>{c.items.map((i) => <li key={i.code}>{i.name} × {i.quantity}</li>)}</ul>
            <TextArea label="Комментарий или причина отказа" value={text} onChange={(e) => setText(e.target.value)} />
            <div className="row">
              <Button onClick={() => decide(c.key, true)}>Вернуть деньги</Button>
              <Button variant="danger" disabled={!text.trim()} onClick={() => decide(c.key, false)}>Отклонить спор</Button>
            </div>
          </div>
        ))}
      </Panel>
    </>
  );
}

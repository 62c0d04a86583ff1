import { useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { BarChart, DoughnutChart } from "../../charts";
import { download } from "../../csv";
import { graphql } from "../../gql";
import { MOVEMENT_KINDS, TERMINAL_KINDS, formatDate, formatDateTime, problemText } from "../../labels";
import { formatKopecks } from "../../money";
import { Button, Loading, Money, Notice, Panel, TextArea, Unavailable } from "../../ui";
import { CHARGES, STATEMENT, useSchoolZone } from "./queries";
import { perDay, perKind } from "./spending";

const DISPUTE = graphql(`
  mutation Dispute($contract: String!, $key: String!, $claim: String!) {
    disputeCharge(input: { contractNumber: $contract, chargeKey: $key, claim: $claim }) {
      userErrors { code message }
      position
    }
  }
`);

const EXPORT = graphql(`
  query Export($contract: String!) {
    historyExport(contractNumber: $contract, fileFormat: CSV) { content entries }
  }
`);

function daysAgo(n: number): string {
  const d = new Date(Date.now() - n * 86_400_000);
  return d.toISOString().slice(0, 10);
}

export function Statement({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data, fetching }] = useQuery({ query: STATEMENT, variables: { contract, since: daysAgo(31), first: 100 } });
  const [disputing, setDisputing] = useState<string | null>(null);
  const zone = useSchoolZone(contract);
  const client = useClient();
  const lines = (data?.statement.edges ?? []).map((e) => e.node);
  const days = perDay(lines);
  const kinds = perKind(lines);

  async function exportHistory() {
    const r = await client.query(EXPORT, { contract }, { requestPolicy: "network-only" }).toPromise();
    const content = r.data?.historyExport.content;
    if (content !== undefined) download(`history-${contract}.csv`, content);
  }

  return (
    <>
      <Panel title="Расходы за месяц" actions={<Button variant="secondary" onClick={exportHistory}>Выгрузить историю (CSV)</Button>}>
        {days.length ? (
          <>
            <BarChart title="Расходы по дням, ₽" labels={days.map(([d]) => formatDate(d))} series={[{ label: "₽", data: days.map(([, v]) => v / 100) }]} />
            <DoughnutChart title="Расходы по видам, ₽" labels={kinds.map(([k]) => MOVEMENT_KINDS[k] ?? k)} data={kinds.map(([, v]) => v / 100)} />
          </>
        ) : (
          <p className="muted">За последний месяц расходов не было.</p>
        )}
      </Panel>
      <Panel title="Операции">
        {fetching && !data && <Loading />}
        <ul className="live" aria-label="Операции по счёту">
          {lines.map((l) => {
            const id = l.id;
            const purchase = l.kind === "PURCHASE" || l.kind === "OFFLINE_PURCHASE";
            return (
              <li key={id} className={l.declined ? "declined" : undefined}>
                <div className="row" style={{ justifyContent: "space-between" }}>
                  <span>
                    <strong>{MOVEMENT_KINDS[l.kind] ?? l.kind}</strong> · {formatDateTime(l.localAt, zone)}
                    {l.terminalKind && <> · {TERMINAL_KINDS[l.terminalKind]}</>}
                  </span>
                  <Money value={l.declined ? l.refusedAmount : l.amount} />
                </div>
                <div>{l.reason}</div>
                {l.items.length > 0 && (
                  <div className="muted">
                    {l.items.map((i) => `${i.name} × ${i.quantity}${i.price ? ` по ${formatKopecks(i.price)}` : ""}`).join("; ")}
                  </div>
                )}
                {Number(l.commission) > 0 && <div className="muted">Комиссия: <Money value={l.commission} /></div>}
                <div className="muted">Остаток: <Money value={l.regularAfter} /> + дотация <Money value={l.subsidisedAfter} /></div>
                {purchase && manage && !l.declined && (
                  <Button variant="secondary" onClick={() => setDisputing(disputing === id ? null : id)} aria-expanded={disputing === id}>
                    Оспорить списание
                  </Button>
                )}
                {disputing === id && <DisputeForm contract={contract} on={l.localDate} at={l.at} amount={l.amount} />}
              </li>
            );
          })}
        </ul>
        {!fetching && lines.length === 0 && <p className="muted">Операций пока нет.</p>}
      </Panel>
    </>
  );
}

const DISPUTE_STATUSES: Record<string, string> = {
  OPEN: "рассматривается школой",
  REVERSED: "деньги возвращены",
  REJECTED: "отклонён школой",
};

function DisputeForm({ contract, on, at, amount }: { contract: string; on: string; at: string; amount: string }) {
  const [{ data }] = useQuery({ query: CHARGES, variables: { contract, on } });
  const zone = useSchoolZone(contract);
  const [claim, setClaim] = useState("");
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, dispute] = useMutation(DISPUTE);
  // The statement line is the ledger's record; the charge is the tap that made it: the one of
  // that day with the same amount, nearest in time.
  const spent = String(-BigInt(amount));
  const candidates = (data?.charges.edges ?? []).map((e) => e.node).filter((c) => c.amount === spent || c.amount === amount);
  const charge = candidates.sort((a, b) => Math.abs(Date.parse(a.tappedAt) - Date.parse(at)) - Math.abs(Date.parse(b.tappedAt) - Date.parse(at)))[0];
  if (!data) return <Loading />;
  if (!charge) return <Notice kind="error">Не нашли списание для спора</Notice>;
  return (
    <form
      className="panel"
      aria-label="Спор по списанию"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = (await dispute({ contract, key: charge.key, claim: claim.trim() })).data?.disputeCharge;
        const refusal = r?.userErrors[0];
        if (refusal) setResult({ kind: "error", text: problemText(refusal) });
        else if (r) setResult({ kind: "success", text: "Спор открыт. Школа рассмотрит его и вернёт деньги, если списание ошибочно." });
      }}
    >
      <h3>Основание списания</h3>
      <p>
        {formatDateTime(charge.tappedAt, zone)}, {TERMINAL_KINDS[charge.terminalKind]}{charge.offline ? ", без связи" : ""}: <Money value={charge.amount} />
        {" "}(основной кошелёк <Money value={charge.fromRegular} />, дотация <Money value={charge.fromSubsidised} />)
      </p>
      <ul>{charge.items.map((i) => <li key={i.code}>{i.name} × {i.quantity}</li>)}</ul>
      <ul className="muted" aria-label="Доказательства">
        {charge.terminalName && <li>Терминал: {charge.terminalName}</li>}
        <li>{charge.inside ? "Ребёнок был в школе по турникету" : "По турникету ребёнок не был в школе"}{charge.evidence.passes.length > 0 && ` (проходы: ${charge.evidence.passes.map((p) => `${p.direction === "in" ? "вход" : "выход"} ${p.localTime.slice(11, 16)}`).join(", ")})`}</li>
        {!charge.evidence.schoolOpen && <li>В этот день школа не работала</li>}
        {charge.photoCheck && <li>Сверка с фото: {charge.photoCheck === "confirmed" ? "подтверждено" : "не совпало"}</li>}
        {charge.payingWallet && <li>Кассир выбрал оплату {charge.payingWallet === "REGULAR" ? "с основного счёта" : "с льготного счёта"}</li>}
        {charge.disputeStatus !== "NONE" && <li>Спор: {DISPUTE_STATUSES[charge.disputeStatus] ?? charge.disputeStatus}</li>}
      </ul>
      {result?.kind === "success" ? (
        <>
          <Notice kind="success">{result.text}</Notice>
          <Unavailable what="Ход рассмотрения спора" needs="список споров родителя и их состояние" />
        </>
      ) : (
        <>
          <TextArea label="Что не так с этим списанием" value={claim} onChange={(e) => setClaim(e.target.value)} required maxLength={2000} />
          <Button type="submit">Отправить спор</Button>
          {result && <Notice kind="error">{result.text}</Notice>}
        </>
      )}
    </form>
  );
}

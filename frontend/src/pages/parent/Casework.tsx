import { useState } from "react";
import { useClient, useQuery } from "urql";
import { download } from "../../csv";
import { graphql } from "../../gql";
import { formatDate, formatDateTime } from "../../labels";
import { Button, Loading, Money, Notice, Panel } from "../../ui";
import { useSchoolZone } from "./queries";

const CASEWORK = graphql(`
  query MyCasework($contract: String!) {
    myCasework(contractNumber: $contract) {
      disputes { chargeKey localDate amount claim status openedAt decidedAt decision }
      refund { status requestedAt destination }
    }
  }
`);
const EXPORT = graphql(`
  query HistoryExport($contract: String!, $format: ExportFormat!) {
    historyExport(contractNumber: $contract, fileFormat: $format) { entries content fileFormat }
  }
`);

const DISPUTE_STATES: Record<string, string> = {
  OPEN: "на рассмотрении",
  REVERSED: "списание возвращено",
  REJECTED: "отклонён",
};
const REFUND_STATES: Record<string, string> = {
  requested: "заявка принята",
  approved: "одобрен, ждёт выплаты",
  paid: "выплачен",
};

/** The parent's disputes with support's decisions, the refund, and the history to take away. */
export function Casework({ contract }: { contract: string }) {
  const [{ data }] = useQuery({ query: CASEWORK, variables: { contract }, requestPolicy: "cache-and-network" });
  const zone = useSchoolZone(contract);
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const work = data?.myCasework;

  async function exportHistory(format: "JSONL" | "CSV") {
    setBusy(true);
    const r = await client.query(EXPORT, { contract, format }, { requestPolicy: "network-only" }).toPromise();
    const found = r.data?.historyExport;
    if (!found) {
      setResult({ kind: "error", text: "Не удалось выгрузить историю" });
    } else {
      const type = format === "CSV" ? "text/csv" : "application/x-ndjson";
      download(`istoriya-${contract}.${format === "CSV" ? "csv" : "jsonl"}`, found.content, `${type};charset=utf-8`);
      setResult({ kind: "success", text: `Выгружено записей: ${found.entries}` });
    }
    setBusy(false);
  }

  return (
    <>
      <Panel title="Мои споры">
        {!work ? <Loading /> : work.disputes.length === 0 ? (
          <p className="muted">Вы не оспаривали списаний. Оспорить списание можно в «Выписке».</p>
        ) : (
          <ul className="list" aria-label="Мои споры">
            {work.disputes.map((d) => (
              <li key={d.chargeKey}>
                <div>
                  <strong>{formatDate(d.localDate)} · <Money value={d.amount} /></strong>
                  {" — "}<span data-testid="dispute-status">{DISPUTE_STATES[d.status]}</span>
                  <br />Что не так: {d.claim}
                  <br />Решение: {d.decision ? `${d.decision} (${formatDateTime(d.decidedAt!, zone)})` : "ещё нет"}
                </div>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <Panel title="Возврат средств">
        {work?.refund ? (
          <p>Возврат: {REFUND_STATES[work.refund.status] ?? work.refund.status}
            {work.refund.requestedAt && `, заявка от ${formatDateTime(work.refund.requestedAt, zone)}`}.</p>
        ) : (
          <p className="muted">Заявок на возврат нет. Запросить возврат остатка можно в «Настройках».</p>
        )}
      </Panel>
      <Panel title="История счёта">
        <p>Вся история лицевого счёта одним файлом: каждое событие, кто и когда его совершил.</p>
        <Button variant="secondary" disabled={busy} onClick={() => exportHistory("CSV")}>Скачать CSV</Button>{" "}
        <Button variant="secondary" disabled={busy} onClick={() => exportHistory("JSONL")}>Скачать JSONL</Button>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </Panel>
    </>
  );
}

import { useState } from "react";
import { useClient, useQuery } from "urql";
import { graphql } from "../../gql";
import { CARD_STATES, problemText } from "../../labels";
import { Button, Field, Money, Notice, Panel, Unavailable } from "../../ui";

// The import is asked for by name, untyped: the screen says so while the server lacks it.
const IMPORT = `mutation ImportRoster($school: UUID!, $csv: String!, $dryRun: Boolean!) {
  importRoster(input: { school: $school, csv: $csv, dryRun: $dryRun }) {
    rosterImport { dryRun accepted refused lines { line contractNumber status code reason } }
    userErrors { field code message }
  }
}`;
const ROSTER = graphql(`
  query Roster($school: UUID!, $after: String) {
    roster(school: $school, first: 100, after: $after) {
      edges { node { id contractNumber className status cards } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const LOOKUP = graphql(`
  query AdminAccount($contract: String!) {
    account(contractNumber: $contract) { contractNumber regular subsidised dailyLimit tariff cards { uid state } }
  }
`);

type ImportReport = { dryRun: boolean; accepted: number; refused: number; lines: { line: number; contractNumber: string; status: string; code: string | null; reason: string | null }[] };
const missingField = (e: { graphQLErrors: { message: string }[] } | undefined) => !!e?.graphQLErrors.some((g) => /Cannot query field|Unknown type/.test(g.message));

export function Roster({ school }: { school: string }) {
  const client = useClient();
  const [csv, setCsv] = useState("");
  const [fileName, setFileName] = useState("");
  const [report, setReport] = useState<ImportReport | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send(dryRun: boolean) {
    setError(null);
    const r = await client.mutation(IMPORT, { school, csv, dryRun }).toPromise();
    if (missingField(r.error)) return setMissing(true);
    const result = r.data?.importRoster;
    const refusal = result?.userErrors?.[0];
    if (refusal) return setError(problemText(refusal));
    if (!result?.rosterImport) return setError("Сервер не принял файл");
    setReport(result.rosterImport as ImportReport);
  }

  return (
    <>
      <Panel title="Импорт списка учеников">
        <p>CSV с заголовком: <code>contract_number;class</code> и необязательные столбцы (ФИО, телефон родителя). Сначала проверка, потом импорт.</p>
        {missing ? (
          <Unavailable what="Импорт списка" needs="импорт списка учеников (importRoster)" />
        ) : (
          <>
            <div className="field">
              <label htmlFor="roster-file">Файл CSV</label>
              <input
                id="roster-file"
                type="file"
                accept=".csv,text/csv"
                onChange={async (e) => {
                  const file = e.target.files?.[0];
                  setReport(null);
                  if (file) {
                    setFileName(file.name);
                    setCsv(await file.text());
                  }
                }}
              />
            </div>
            <div className="row">
              <Button variant="secondary" disabled={!csv} onClick={() => send(true)}>Проверить</Button>
              <Button disabled={!csv || !report || !report.dryRun || report.refused > 0} onClick={() => send(false)}>Импортировать</Button>
            </div>
          </>
        )}
        {fileName && <p className="muted">Файл: {fileName}</p>}
        {error && <Notice kind="error">{error}</Notice>}
        {report && (
          <div data-testid="roster-report">
            <Notice kind={report.refused ? "warning" : "success"}>
              {report.dryRun ? "Проверка" : "Импорт"}: принято {report.accepted}, отклонено {report.refused}
            </Notice>
            <table>
              <thead><tr><th>Строка</th><th>Договор</th><th>Результат</th></tr></thead>
              <tbody>
                {report.lines.map((l) => (
                  <tr key={l.line}><td>{l.line}</td><td>{l.contractNumber}</td><td>{l.status}{l.reason ? `: ${l.reason}` : ""}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      <Panel title="Ученики">
        <RosterPages school={school} />
      </Panel>
      <AccountLookup />
    </>
  );
}

// The roster a page at a time: each page asks from the previous page's end cursor.
function RosterPages({ school }: { school: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <table>
      <thead><tr><th>Договор</th><th>Класс</th><th>Состояние</th><th className="num">Карт</th></tr></thead>
      {cursors.map((after, i) => (
        <RosterPage key={after ?? ""} school={school} after={after} last={i === cursors.length - 1} more={(next) => setCursors([...cursors, next])} />
      ))}
    </table>
  );
}

function RosterPage({ school, after, last, more }: { school: string; after: string | null; last: boolean; more: (after: string) => void }) {
  const [{ data }] = useQuery({ query: ROSTER, variables: { school, after } });
  const page = data?.roster;
  const next = page?.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  return (
    <tbody>
      {(page?.edges ?? []).map(({ node: r }) => (
        <tr key={r.id}><td>{r.contractNumber}</td><td>{r.className}</td><td>{r.status}</td><td className="num">{r.cards}</td></tr>
      ))}
      {last && next && (
        <tr><td colSpan={4}><Button variant="secondary" onClick={() => more(next)}>Показать ещё</Button></td></tr>
      )}
    </tbody>
  );
}

function AccountLookup() {
  const [input, setInput] = useState("");
  const [contract, setContract] = useState("");
  const [{ data, fetching }] = useQuery({ query: LOOKUP, variables: { contract }, pause: !contract });
  const account = data?.account;
  return (
    <Panel title="Карты ученика">
      <form className="row" onSubmit={(e) => { e.preventDefault(); setContract(input.trim()); }}>
        <Field label="Номер договора" value={input} onChange={(e) => setInput(e.target.value)} required />
        <Button type="submit">Найти</Button>
      </form>
      {contract && !fetching && !account && <Notice kind="error">Договор не найден в вашей школе</Notice>}
      {account && (
        <>
          <p>Баланс <Money value={account.regular} />, дотация <Money value={account.subsidised} />, лимит <Money value={account.dailyLimit} /></p>
          <ul>{account.cards.map((c) => <li key={c.uid}>{c.uid}: {CARD_STATES[c.state]}</li>)}</ul>
        </>
      )}
    </Panel>
  );
}

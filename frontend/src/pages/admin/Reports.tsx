import { useState } from "react";
import { useQuery } from "urql";
import { BarChart, DoughnutChart } from "../../charts";
import { download, toCsv } from "../../csv";
import { graphql } from "../../gql";
import { CHANNELS, TERMINAL_KINDS, formatDate } from "../../labels";
import { formatKopecks } from "../../money";
import { Button, Field, Loading, Money, Panel } from "../../ui";

const REPORT = graphql(`
  query SchoolReport($school: UUID!, $since: Date, $until: Date) {
    schoolReport(school: $school, since: $since, until: $until) {
      days {
        date
        terminals { terminalKind turnover purchases declines mealsServed passes pupils }
        topups { channel topups amount commission }
      }
    }
  }
`);

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The report as rows: one per day and terminal kind, then one per day and channel. */
export function reportRows(days: { date: string; terminals: { terminalKind: string; turnover: string; purchases: number; declines: number; mealsServed: number; passes: number; pupils: number }[]; topups: { channel: string; topups: number; amount: string; commission: string }[] }[]): (string | number)[][] {
  const rows: (string | number)[][] = [["дата", "раздел", "вид", "оборот, коп.", "покупок", "отказов", "обедов", "проходов", "учеников", "пополнений", "сумма пополнений, коп.", "комиссия, коп."]];
  for (const d of days) {
    for (const t of d.terminals) rows.push([d.date, "терминалы", t.terminalKind, t.turnover, t.purchases, t.declines, t.mealsServed, t.passes, t.pupils, "", "", ""]);
    for (const c of d.topups) rows.push([d.date, "пополнения", c.channel, "", "", "", "", "", "", c.topups, c.amount, c.commission]);
  }
  return rows;
}

export function Reports({ school }: { school: string }) {
  const [since, setSince] = useState(iso(new Date(Date.now() - 30 * 86_400_000)));
  const [until, setUntil] = useState(iso(new Date(Date.now() + 86_400_000)));
  const [{ data, fetching }] = useQuery({ query: REPORT, variables: { school, since, until } });
  const days = [...(data?.schoolReport.days ?? [])].sort((a, b) => a.date.localeCompare(b.date));
  const sum = (f: (t: { turnover: string; mealsServed: number; passes: number }) => number) => days.map((d) => d.terminals.reduce((s, t) => s + f(t), 0));
  const channels = new Map<string, number>();
  days.forEach((d) => d.topups.forEach((c) => channels.set(c.channel, (channels.get(c.channel) ?? 0) + Number(c.amount))));
  const turnover = sum((t) => Number(t.turnover));
  return (
    <>
      <Panel
        title="Период"
        actions={
          <Button variant="secondary" disabled={!days.length} onClick={() => download(`report-${since}-${until}.csv`, toCsv(reportRows(days)))}>
            Скачать CSV
          </Button>
        }
      >
        <div className="row">
          <Field label="С" type="date" value={since} onChange={(e) => setSince(e.target.value)} />
          <Field label="По" type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
        <p>Оборот за период: <strong><Money value={turnover.reduce((a, b) => a + b, 0)} /></strong></p>
      </Panel>
      {fetching && !data && <Loading />}
      {days.length > 0 && (
        <>
          <Panel title="Оборот по дням">
            <BarChart title="Оборот по дням, ₽" labels={days.map((d) => formatDate(d.date))} series={[{ label: "₽", data: turnover.map((v) => v / 100) }]} />
          </Panel>
          <Panel title="Обеды и проходы">
            <BarChart
              title="Обеды и проходы по дням"
              labels={days.map((d) => formatDate(d.date))}
              series={[{ label: "Обеды", data: sum((t) => t.mealsServed) }, { label: "Проходы", data: sum((t) => t.passes) }]}
            />
          </Panel>
          {channels.size > 0 && (
            <Panel title="Пополнения по способам">
              <DoughnutChart title="Пополнения по способам, ₽" labels={[...channels.keys()].map((c) => CHANNELS[c] ?? c)} data={[...channels.values()].map((v) => v / 100)} />
            </Panel>
          )}
          <Panel title="По дням и терминалам">
            <table>
              <thead><tr><th>Дата</th><th>Терминал</th><th className="num">Оборот</th><th className="num">Покупок</th><th className="num">Отказов</th><th className="num">Проходов</th></tr></thead>
              <tbody>
                {days.flatMap((d) => d.terminals.map((t) => (
                  <tr key={`${d.date}-${t.terminalKind}`}>
                    <td>{formatDate(d.date)}</td><td>{TERMINAL_KINDS[t.terminalKind]}</td>
                    <td className="num">{formatKopecks(t.turnover)}</td><td className="num">{t.purchases}</td>
                    <td className="num">{t.declines}</td><td className="num">{t.passes}</td>
                  </tr>
                )))}
              </tbody>
            </table>
          </Panel>
        </>
      )}
      {data && !days.length && <p className="muted">За период операций не было.</p>}
    </>
  );
}

import { useQuery } from "urql";
import { BarChart } from "../../charts";
import { graphql } from "../../gql";
import { formatDate, formatDateTime } from "../../labels";
import { Loading, Panel } from "../../ui";
import { useSchoolZone } from "./queries";

const ATTENDANCE = graphql(`
  query Attendance($contract: String!, $since: Date) {
    attendance(contractNumber: $contract, since: $since, first: 92) {
      edges { node { id date passesIn passesOut denied inside lastPassAt } }
    }
  }
`);

export function Attendance({ contract }: { contract: string }) {
  const since = new Date(Date.now() - 31 * 86_400_000).toISOString().slice(0, 10);
  const [{ data, fetching }] = useQuery({ query: ATTENDANCE, variables: { contract, since } });
  const zone = useSchoolZone(contract);
  if (fetching && !data) return <Loading />;
  const days = (data?.attendance.edges ?? []).map((e) => e.node).sort((a, b) => a.date.localeCompare(b.date));
  const today = days[days.length - 1];
  return (
    <>
      <Panel title="Сейчас">
        {today ? (
          <p className="big">{today.inside ? "В школе" : "Не в школе"}</p>
        ) : (
          <p className="muted">Проходов через турникет пока не было.</p>
        )}
        {today?.lastPassAt && <p className="muted">Последний проход: {formatDateTime(today.lastPassAt, zone)}</p>}
      </Panel>
      {days.length > 0 && (
        <Panel title="Посещения за месяц">
          <BarChart
            title="Проходы по дням"
            labels={days.map((d) => formatDate(d.date))}
            series={[
              { label: "Вход", data: days.map((d) => d.passesIn) },
              { label: "Выход", data: days.map((d) => d.passesOut) },
              { label: "Не пропущен", data: days.map((d) => d.denied) },
            ]}
          />
          <table>
            <thead><tr><th>Дата</th><th className="num">Вход</th><th className="num">Выход</th><th className="num">Отказ</th></tr></thead>
            <tbody>
              {days.slice().reverse().map((d) => (
                <tr key={d.date}><td>{formatDate(d.date)}</td><td className="num">{d.passesIn}</td><td className="num">{d.passesOut}</td><td className="num">{d.denied}</td></tr>
              ))}
            </tbody>
          </table>
        </Panel>
      )}
    </>
  );
}

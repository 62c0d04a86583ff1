// «Тариф и плата» (issue 12, point 6): the contract's tariffs and monthly fees over time, each
// fee with how it was computed, and fee debts and their collection.
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { TARIFFS, formatDateTime } from "../../labels";
import { Loading, Panel } from "../../ui";
import { breakdownText, tariffEntryText } from "./charges";
import { useSchoolZone } from "./queries";

const TARIFF_HISTORY = graphql(`
  query TariffHistory($contract: String!) {
    account(contractNumber: $contract) { contractNumber tariff }
    tariffHistory(contractNumber: $contract) {
      at kind tariff previousTariff period fee amount
      breakdown { tariff days monthly }
    }
  }
`);

export function TariffHistory({ contract }: { contract: string }) {
  const [{ data, fetching }] = useQuery({ query: TARIFF_HISTORY, variables: { contract }, requestPolicy: "cache-and-network" });
  const zone = useSchoolZone(contract);
  if (fetching && !data) return <Loading />;
  const history = data?.tariffHistory ?? [];
  const tariff = data?.account?.tariff;
  return (
    <>
      <Panel title="Тариф сейчас">
        <p className="big">{tariff ? (TARIFFS[tariff] ?? tariff) : "—"}</p>
        <p className="muted">Сменить тариф можно в «Настройках».</p>
      </Panel>
      <Panel title="История тарифа и абонентской платы">
        {history.length === 0 ? (
          <p className="muted">Записей пока нет.</p>
        ) : (
          <table>
            <caption className="muted">Сначала старые записи</caption>
            <thead>
              <tr><th scope="col">Когда</th><th scope="col">Что произошло</th><th scope="col">Расчёт платы</th></tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr key={`${h.at}-${h.kind}-${h.period ?? ""}`}>
                  <td>{formatDateTime(h.at, zone)}</td>
                  <td>{tariffEntryText(h)}</td>
                  <td>{breakdownText(h) || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}

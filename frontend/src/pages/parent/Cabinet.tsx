import { useMutation, useQuery } from "urql";
import { resetLive } from "../../client";
import { CARD_STATES } from "../../labels";
import { navigate } from "../../router";
import { clearSession, type Session } from "../../session";
import { Button, Layout, Link, Loading, Money, Notice, Panel, Tabs } from "../../ui";
import { Attendance } from "./Attendance";
import { Autopay } from "./Autopay";
import { Casework } from "./Casework";
import { Charges } from "./Charges";
import { Notifications } from "./Notifications";
import { Protection } from "./Protection";
import { MenuToday } from "./MenuToday";
import { Overview } from "./Overview";
import { PreOrders } from "./PreOrders";
import { ACCOUNT, LOGOUT } from "./queries";
import { Settings } from "./Settings";
import { SiblingTransfer } from "./SiblingTransfer";
import { Statement } from "./Statement";
import { TariffHistory } from "./TariffHistory";

export function LogoutButton() {
  const [, logout] = useMutation(LOGOUT);
  return (
    <Button
      variant="secondary"
      onClick={async () => {
        await logout({}).catch(() => undefined);
        clearSession();
        resetLive();
        navigate("/");
      }}
    >
      Выйти
    </Button>
  );
}

const TABS: [string, string][] = [
  ["", "Счёт"],
  ["statement", "Выписка"],
  ["charges", "Списания"],
  ["attendance", "Посещения"],
  ["menu", "Меню"],
  ["preorder", "Предзаказ"],
  ["protection", "Запреты"],
  ["autopay", "Автоплатёж"],
  ["notifications", "Уведомления"],
  ["casework", "Споры и история"],
  ["tariff", "Тариф и плата"],
  ["settings", "Настройки"],
];
const SIBLING_TABS: [string, string][] = [["transfer", "Перевод между детьми"]]; // two or more children

export function Cabinet({ session, path }: { session: Session; path: string }) {
  const [, , contract, tab = ""] = path.split("/");
  const contracts = session.viewer.contracts;
  if (!contract) {
    if (contracts.length === 1) {
      navigate(`/cabinet/${encodeURIComponent(contracts[0].contractNumber)}`);
      return null;
    }
    return (
      <Layout title="Мои дети" actions={<LogoutButton />}>
        <div className="cards">
          {contracts.map((c) => (
            <ChildCard key={c.contractNumber} contract={c.contractNumber} />
          ))}
        </div>
        {contracts.length === 0 && <Notice>К этому входу не привязан ни один договор.</Notice>}
      </Layout>
    );
  }
  const number = decodeURIComponent(contract);
  const access = contracts.find((c) => c.contractNumber === number)?.access ?? "READ";
  const base = `/cabinet/${encodeURIComponent(number)}`;
  const items = [...TABS, ...(contracts.length > 1 ? SIBLING_TABS : [])].map(([t, text]) => [t ? `${base}/${t}` : base, text] as [string, string]);
  return (
    <Layout title={`Договор № ${number}`} actions={<LogoutButton />}>
      {contracts.length > 1 && <p><Link to="/cabinet">← Все дети</Link></p>}
      <Tabs items={items} current={tab ? `${base}/${tab}` : base} label="Разделы кабинета" />
      {access === "READ" && <Notice>Вы представитель: можно смотреть, но не менять.</Notice>}
      {tab === "" && <Overview contract={number} manage={access === "MANAGE"} />}
      {tab === "statement" && <Statement contract={number} manage={access === "MANAGE"} />}
      {tab === "attendance" && <Attendance contract={number} />}
      {tab === "menu" && <MenuToday contract={number} manage={access === "MANAGE"} />}
      {tab === "settings" && <Settings contract={number} manage={access === "MANAGE"} />}
      {tab === "preorder" && <PreOrders contract={number} manage={access === "MANAGE"} />}
      {tab === "transfer" && access === "MANAGE" && <SiblingTransfer contract={number} siblings={contracts.map((c) => c.contractNumber)} />}
      {tab === "protection" && <Protection contract={number} manage={access === "MANAGE"} />}
      {tab === "autopay" && <Autopay contract={number} manage={access === "MANAGE"} />}
      {tab === "notifications" && <Notifications contract={number} manage={access === "MANAGE"} />}
      {tab === "casework" && <Casework contract={number} />}
      {tab === "charges" && <Charges contract={number} />}
      {tab === "tariff" && <TariffHistory contract={number} />}
    </Layout>
  );
}

function ChildCard({ contract }: { contract: string }) {
  const [{ data, fetching }] = useQuery({ query: ACCOUNT, variables: { contract } });
  const account = data?.account;
  return (
    <Link to={`/cabinet/${encodeURIComponent(contract)}`}>
      <Panel title={`Договор № ${contract}`} level={2}>
        {fetching && !account ? (
          <Loading />
        ) : account ? (
          <>
            <p className="big"><Money value={account.regular} /></p>
            <p className="muted">
              Карты: {account.cards.map((c) => `${c.uid} (${CARD_STATES[c.state]})`).join(", ") || "нет"}
            </p>
          </>
        ) : (
          <p>Нет данных</p>
        )}
      </Panel>
    </Link>
  );
}

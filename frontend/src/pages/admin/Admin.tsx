import type { Session } from "../../session";
import { Layout, Notice, Tabs } from "../../ui";
import { LogoutButton } from "../parent/Cabinet";
import { Casework } from "./Casework";
import { MenuPublishing } from "./MenuPublishing";
import { Reports } from "./Reports";
import { Roster } from "./Roster";
import { Terminals } from "./Terminals";
import { SchoolSettings } from "./SchoolSettings";

const TABS: [string, string][] = [
  ["/admin", "Отчёты"],
  ["/admin/roster", "Ученики и карты"],
  ["/admin/cases", "Споры и возвраты"],
  ["/admin/menu", "Меню"],
  ["/admin/terminals", "Терминалы"],
  ["/admin/settings", "Настройки"],
];

export function Admin({ session, path }: { session: Session; path: string }) {
  const school = session.viewer.schoolIds[0];
  const tab = path.split("/")[2] ?? "";
  return (
    <Layout title="Администрирование школы" wide actions={<LogoutButton />}>
      <Tabs items={TABS} current={tab ? `/admin/${tab}` : "/admin"} label="Разделы администрирования" />
      {!school ? (
        <Notice kind="warning">Этот вход не привязан к школе.</Notice>
      ) : (
        <>
          {tab === "" && <Reports school={school} />}
          {tab === "roster" && <Roster school={school} />}
          {tab === "cases" && <Casework />}
          {tab === "menu" && <MenuPublishing school={school} />}
          {tab === "terminals" && <Terminals school={school} />}
          {tab === "settings" && <SchoolSettings />}
        </>
      )}
    </Layout>
  );
}

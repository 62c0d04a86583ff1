import { Panel, Unavailable } from "../../ui";

export function SchoolSettings() {
  return (
    <Panel title="Настройки школы">
      <Unavailable what="Овердрафт на питание, календарь, лимит без связи, комиссии" needs="чтение и изменение настроек школы" />
    </Panel>
  );
}

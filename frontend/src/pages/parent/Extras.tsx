import { Panel, Unavailable } from "../../ui";

/** What the article's cabinet offers and the API does not yet: each said plainly. */
export function Extras() {
  return (
    <>
      <Panel title="Автоплатёж и напоминание о балансе">
        <Unavailable what="Автоплатёж" needs="настройку автоплатежа для родителя" />
        <Unavailable what="Оповещение о низком балансе" needs="порог оповещения для родителя" />
      </Panel>
      <Panel title="Запреты и аллергии">
        <Unavailable what="Запреты на блюда и аллергии" needs="список запретов и аллергий ребёнка" />
      </Panel>
      <Panel title="Предзаказ">
        <Unavailable what="Предзаказ питания" needs="предзаказ на дату" />
      </Panel>
      <Panel title="Уведомления в браузере">
        <Unavailable what="Push-уведомления" needs="регистрацию подписки Web Push (VAPID-ключ и адрес подписки)" />
      </Panel>
    </>
  );
}

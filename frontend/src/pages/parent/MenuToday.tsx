import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { Loading, Money, Panel, Select, TextArea } from "../../ui";
import { ActionForm, usePayloadMutation } from "./forms";
import { ACCOUNT } from "./queries";

export const MENU = graphql(`
  query Menu($school: UUID!, $date: Date!) {
    menu(school: $school, date: $date) {
      date
      items { code name price allergens nutrition { kcal proteins fats carbohydrates } }
    }
  }
`);

const FEEDBACK = graphql(`
  mutation Feedback($contract: String!, $date: Date!, $rating: Int!, $comment: String!) {
    leaveMenuFeedback(input: { contractNumber: $contract, date: $date, rating: $rating, comment: $comment }) {
      userErrors { code message }
      position
    }
  }
`);

export function MenuToday({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data: acc }] = useQuery({ query: ACCOUNT, variables: { contract } });
  const school = acc?.account?.schoolId;
  const date = acc?.account?.today; // the school's day, not this device's
  const [{ data, fetching }] = useQuery({ query: MENU, variables: { school: school ?? "", date: date ?? "" }, pause: !school || !date });
  if (!school || !date || (fetching && !data)) return <Loading />;
  const items = data?.menu.items ?? [];
  return (
    <>
      <Panel title="Меню на сегодня">
        {items.length === 0 ? (
          <p className="muted">Школа ещё не опубликовала меню на сегодня.</p>
        ) : (
          <table>
            <thead><tr><th>Блюдо</th><th>Аллергены</th><th className="num">Цена</th></tr></thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.code}>
                  <td>
                    {i.name}
                    {i.nutrition.kcal != null && <div className="muted">{i.nutrition.kcal} ккал</div>}
                  </td>
                  <td>{i.allergens.length ? i.allergens.join(", ") : <span className="muted">нет</span>}</td>
                  <td className="num"><Money value={i.price} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      {manage && items.length > 0 && <Feedback contract={contract} date={date} />}
    </>
  );
}

function Feedback({ contract, date }: { contract: string; date: string }) {
  const [rating, setRating] = useState("5");
  const [comment, setComment] = useState("");
  const send = usePayloadMutation(FEEDBACK, "leaveMenuFeedback");
  return (
    <Panel title="Оценить питание">
      <ActionForm submit="Отправить" onSubmit={() => send({ contract, date, rating: Number(rating), comment }, "Спасибо за отзыв")}>
        <Select label="Оценка" value={rating} onChange={(e) => setRating(e.target.value)} options={[["5", "5 — отлично"], ["4", "4"], ["3", "3"], ["2", "2"], ["1", "1 — плохо"]]} />
        <TextArea label="Комментарий" value={comment} onChange={(e) => setComment(e.target.value)} maxLength={500} />
      </ActionForm>
    </Panel>
  );
}

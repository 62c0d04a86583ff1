import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { problemText } from "../../labels";
import { localToday } from "../../today";
import { Button, Loading, Money, Notice, Panel, Select, TextArea } from "../../ui";
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
  const date = localToday();
  const [{ data, fetching }] = useQuery({ query: MENU, variables: { school: school ?? "", date }, pause: !school });
  if (!school || (fetching && !data)) return <Loading />;
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
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, send] = useMutation(FEEDBACK);
  return (
    <Panel title="Оценить питание">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const r = (await send({ contract, date, rating: Number(rating), comment })).data?.leaveMenuFeedback;
          const refusal = r?.userErrors[0];
          if (refusal) setResult({ kind: "error", text: problemText(refusal) });
          else if (r) setResult({ kind: "success", text: "Спасибо за отзыв" });
        }}
      >
        <Select label="Оценка" value={rating} onChange={(e) => setRating(e.target.value)} options={[["5", "5 — отлично"], ["4", "4"], ["3", "3"], ["2", "2"], ["1", "1 — плохо"]]} />
        <TextArea label="Комментарий" value={comment} onChange={(e) => setComment(e.target.value)} maxLength={500} />
        <Button type="submit">Отправить</Button>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </form>
    </Panel>
  );
}

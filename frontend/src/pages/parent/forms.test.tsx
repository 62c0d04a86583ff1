import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Result } from "./outcome";
import { ActionForm, textOf } from "./forms";

afterEach(cleanup);

describe("a form that does one thing", () => {
  it("says what the submit came to, and keeps it when the submit answers nothing", async () => {
    const answers: (Result | undefined)[] = [{ kind: "error", text: "Введите сумму в рублях" }, undefined, { kind: "success", text: "Лимит изменён" }];
    render(
      <ActionForm submit="Сохранить лимит" onSubmit={async () => answers.shift()}>
        <input aria-label="Новый лимит, ₽" />
      </ActionForm>,
    );
    const submit = screen.getByRole("button", { name: "Сохранить лимит" });
    expect(submit.getAttribute("type")).toBe("submit");
    expect(screen.queryByRole("alert")).toBeNull();

    await act(async () => fireEvent.click(submit));
    expect(screen.getByRole("alert").textContent).toBe("Введите сумму в рублях");
    await act(async () => fireEvent.click(submit));
    expect(screen.getByRole("alert").textContent).toBe("Введите сумму в рублях");
    await act(async () => fireEvent.click(submit));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByRole("status").textContent).toBe("Лимит изменён");
  });

  it("hands the submit what was typed into its fields", async () => {
    const seen: [string, boolean][] = [];
    render(
      <ActionForm submit="Сохранить" onSubmit={async (form) => { seen.push([textOf(form, "email"), form.has("serviceOnly")]); return null; }}>
        <input aria-label="Электронная почта" name="email" />
        <input aria-label="Только служебные сообщения" name="serviceOnly" type="checkbox" />
      </ActionForm>,
    );
    fireEvent.change(screen.getByLabelText("Электронная почта"), { target: { value: "mama@example.org" } });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Сохранить" })));
    fireEvent.click(screen.getByLabelText("Только служебные сообщения"));
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Сохранить" })));
    expect(seen).toEqual([["mama@example.org", false], ["mama@example.org", true]]);
  });
});

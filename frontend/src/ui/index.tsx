// The small component library every page is built from: accessible by construction (labels
// tied to inputs, live regions for results, real buttons and links).
import { forwardRef, useId, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";
import { formatKopecks } from "../money";
import { navigate } from "../router";

export function Button({ variant = "primary", ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: "primary" | "secondary" | "danger" }) {
  return <button type="button" {...props} className={`btn btn-${variant} ${props.className ?? ""}`} />;
}

export const Field = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: string }>(
  function Field({ label, hint, ...props }, ref) {
    const id = useId();
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input id={id} ref={ref} aria-describedby={hint ? `${id}-hint` : undefined} {...props} />
        {hint && <small id={`${id}-hint`}>{hint}</small>}
      </div>
    );
  },
);

export function TextArea({ label, ...props }: React.TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={3} {...props} />
    </div>
  );
}

export function Select({ label, options, ...props }: SelectHTMLAttributes<HTMLSelectElement> & { label: string; options: [string, string][] }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} {...props}>
        {options.map(([value, text]) => (
          <option key={value} value={value}>{text}</option>
        ))}
      </select>
    </div>
  );
}

export function Checkbox({ label, ...props }: InputHTMLAttributes<HTMLInputElement> & { label: string }) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" {...props} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

export function Panel({ title, children, actions, level = 2 }: { title: string; children: ReactNode; actions?: ReactNode; level?: 2 | 3 }) {
  const H = level === 2 ? "h2" : "h3";
  return (
    <section className="panel" aria-label={title}>
      <div className="panel-head">
        <H>{title}</H>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Notice({ kind = "info", children }: { kind?: "info" | "error" | "success" | "warning"; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/** A feature the server does not offer yet: said plainly, never a dead button. */
export function Unavailable({ what, needs }: { what: string; needs: string }) {
  return (
    <div className="unavailable" role="note">
      <strong>{what}</strong>: пока недоступно — сервер ещё не предоставляет {needs}.
    </div>
  );
}

export function Money({ value, className }: { value: string | number | null | undefined; className?: string }) {
  return <span className={`money ${className ?? ""}`}>{formatKopecks(value)}</span>;
}

export function Link({ to, children, current }: { to: string; children: ReactNode; current?: boolean }) {
  return (
    <a
      href={to}
      aria-current={current ? "page" : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function Tabs({ items, current, label }: { items: [string, string][]; current: string; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      <ul>
        {items.map(([to, text]) => (
          <li key={to}>
            <Link to={to} current={to === current}>{text}</Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function Layout({ title, children, actions, wide }: { title: string; children: ReactNode; actions?: ReactNode; wide?: boolean }) {
  return (
    <>
      <header className="top">
        <span className="brand" aria-hidden="true">Инфошкола</span>
        <span className="top-actions">{actions}</span>
      </header>
      <main className={wide ? "wide" : undefined}>
        <h1>{title}</h1>
        {children}
      </main>
    </>
  );
}

export function Loading() {
  return <p role="status">Загрузка…</p>;
}

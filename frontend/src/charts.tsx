import { ArcElement, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { Bar, Doughnut } from "react-chartjs-2";

Chart.register(BarElement, ArcElement, CategoryScale, LinearScale, Tooltip, Legend);
Chart.defaults.font.family = "DejaVu Sans, system-ui, sans-serif";
Chart.defaults.animation = false;

const COLOURS = ["#1f5fa8", "#b3261e", "#1b6e36", "#8a5a00", "#6a3d9a", "#00707a"];

/** A bar chart with a text alternative: the same numbers as a hidden table for screen readers. */
export function BarChart({ title, labels, series }: { title: string; labels: string[]; series: { label: string; data: number[] }[] }) {
  return (
    <figure>
      <div className="chart">
        <Bar
          role="img"
          aria-label={title}
          data={{ labels, datasets: series.map((s, i) => ({ ...s, backgroundColor: COLOURS[i % COLOURS.length] })) }}
          options={{ maintainAspectRatio: false, plugins: { legend: { display: series.length > 1 } } }}
        />
      </div>
      <figcaption className="visually-hidden">
        {title}: {labels.map((l, i) => `${l} — ${series.map((s) => s.data[i]).join(", ")}`).join("; ")}
      </figcaption>
    </figure>
  );
}

export function DoughnutChart({ title, labels, data }: { title: string; labels: string[]; data: number[] }) {
  return (
    <figure>
      <div className="chart">
        <Doughnut
          role="img"
          aria-label={title}
          data={{ labels, datasets: [{ data, backgroundColor: COLOURS }] }}
          options={{ maintainAspectRatio: false }}
        />
      </div>
      <figcaption className="visually-hidden">
        {title}: {labels.map((l, i) => `${l} — ${data[i]}`).join("; ")}
      </figcaption>
    </figure>
  );
}

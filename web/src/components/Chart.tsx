// A bar or line chart drawn by Chart.js on a canvas. Chart.js is loaded on first use (its own chunk), so pages without
// a chart never fetch it; only the pieces used are registered (tree-shaken).
import { useEffect, useRef } from 'react';
import type { Chart as ChartType } from 'chart.js';

export interface Series {
  label: string;
  data: number[];
}

const PALETTE = ['#228be6', '#40c057', '#fab005', '#fa5252', '#7950f2', '#15aabf', '#fd7e14', '#868e96'];

async function loadChart() {
  const m = await import('chart.js');
  m.Chart.register(m.BarController, m.BarElement, m.LineController, m.LineElement, m.PointElement, m.CategoryScale, m.LinearScale, m.Tooltip, m.Legend);
  return m.Chart;
}

export function Chart({
  type = 'bar',
  labels,
  series,
  stacked = false,
  label,
  formatValue,
}: {
  type?: 'bar' | 'line';
  labels: string[];
  series: Series[];
  stacked?: boolean;
  /** Accessible name of the chart (the canvas is an image to screen readers). */
  label: string;
  formatValue?: (value: number) => string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartType | null>(null);

  useEffect(() => {
    let cancelled = false;
    void loadChart().then((ChartJs) => {
      if (cancelled || !canvas.current) return;
      chart.current?.destroy();
      chart.current = new ChartJs(canvas.current, {
        type,
        data: {
          labels,
          datasets: series.map((s, i) => ({
            label: s.label,
            data: s.data,
            backgroundColor: PALETTE[i % PALETTE.length],
            borderColor: PALETTE[i % PALETTE.length],
            borderWidth: type === 'line' ? 2 : 0,
            pointRadius: 0,
          })),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          plugins: {
            legend: { display: series.length > 1, position: 'bottom' },
            tooltip: formatValue ? { callbacks: { label: (c) => `${c.dataset.label ?? ''}: ${formatValue(Number(c.raw))}` } } : {},
          },
          scales: {
            x: { stacked, ticks: { maxRotation: 0, autoSkip: true } },
            y: { stacked, beginAtZero: true, ticks: formatValue ? { callback: (v) => formatValue(Number(v)) } : { precision: 0 } },
          },
        },
      });
    });
    return () => {
      cancelled = true;
      chart.current?.destroy();
      chart.current = null;
    };
  }, [type, labels, series, stacked, formatValue]);

  return (
    <div className="chart-box">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

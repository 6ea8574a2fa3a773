/**
 * Bar charts in plain SVG: colours come from CSS custom properties (classes
 * only, no inline style, so the strict CSP holds), readable in light and dark
 * mode; every chart has a text alternative and a data table.
 */

export interface Bar {
  label: string;
  value: number;
  /** A second, stacked value drawn inside the bar (e.g. episodes of all memories). */
  part?: number;
  href?: string;
}

export function ColumnChart(p: {
  id: string;
  title: string;
  bars: Bar[];
  partLabel?: string;
  valueLabel: string;
}) {
  const w = 720;
  const h = 200;
  const pad = { l: 36, r: 8, t: 10, b: 26 };
  const max = Math.max(1, ...p.bars.map((b) => b.value));
  const step = (w - pad.l - pad.r) / Math.max(1, p.bars.length);
  const bw = Math.max(2, step * 0.7);
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / max);
  const ticks = [0, Math.round(max / 2), max];
  const total = p.bars.reduce((a, b) => a + b.value, 0);
  return (
    <figure class="chart" aria-labelledby={`${p.id}-cap`}>
      <figcaption id={`${p.id}-cap`}>{p.title}</figcaption>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={`${p.title}: ${total} ${p.valueLabel} in ${p.bars.length} days, at most ${max} a day`}
        class="columns"
      >
        {ticks.map((t) => (
          <g>
            <line x1={pad.l} x2={w - pad.r} y1={y(t)} y2={y(t)} class="grid" />
            <text x={pad.l - 4} y={y(t) + 4} class="axis" text-anchor="end">
              {String(t)}
            </text>
          </g>
        ))}
        {p.bars.map((b, i) => {
          const x = pad.l + i * step + (step - bw) / 2;
          return (
            <g>
              <title>{`${b.label}: ${b.value} ${p.valueLabel}${b.part !== undefined ? `, ${b.part} ${p.partLabel}` : ""}`}</title>
              <rect
                x={x}
                y={y(b.value)}
                width={bw}
                height={Math.max(0, h - pad.b - y(b.value))}
                class="bar"
              />
              {b.part ? (
                <rect
                  x={x}
                  y={y(b.part)}
                  width={bw}
                  height={Math.max(0, h - pad.b - y(b.part))}
                  class="bar part"
                />
              ) : null}
            </g>
          );
        })}
        {p.bars.map((b, i) =>
          i % Math.ceil(p.bars.length / 6) === 0 ? (
            <text x={pad.l + i * step + step / 2} y={h - 8} class="axis" text-anchor="middle">
              {b.label.slice(5)}
            </text>
          ) : null,
        )}
      </svg>
      {p.partLabel ? (
        <p class="legend">
          <span class="key all" aria-hidden="true" /> {p.valueLabel}{" "}
          <span class="key part" aria-hidden="true" /> {p.partLabel}
        </p>
      ) : null}
    </figure>
  );
}

export function BarList(p: { id: string; title: string; bars: Bar[]; valueLabel: string }) {
  const max = Math.max(1, ...p.bars.map((b) => b.value));
  const rowH = 30;
  const w = 520;
  const labelW = 170;
  const h = Math.max(rowH, p.bars.length * rowH);
  return (
    <figure class="chart" aria-labelledby={`${p.id}-cap`}>
      <figcaption id={`${p.id}-cap`}>{p.title}</figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${p.title}, largest first`} class="bars">
        {p.bars.map((b, i) => {
          const bw = ((w - labelW - 60) * b.value) / max;
          return (
            <g>
              <title>{`${b.label}: ${b.value} ${p.valueLabel}`}</title>
              <text x={labelW - 8} y={i * rowH + 20} class="label" text-anchor="end">
                {b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label}
              </text>
              <rect x={labelW} y={i * rowH + 6} width={Math.max(2, bw)} height={rowH - 12} class="bar" />
              <text x={labelW + bw + 6} y={i * rowH + 20} class="value">
                {String(b.value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** HTML built from template literals: every interpolated value is escaped unless it is already HTML. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

const STYLE = `
  body { font-family: system-ui, 'DejaVu Sans', sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
  header { background: #1d2430; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; }
  header a { color: #9cc3ff; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 16px 20px; }
  h2 { font-size: 16px; margin: 20px 0 8px; }
  .jobs { display: flex; flex-wrap: wrap; gap: 12px; list-style: none; padding: 0; margin: 0; }
  .job { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 8px; width: 200px; font-size: 12px; }
  .job img.thumb { width: 184px; height: 184px; object-fit: contain; background: #eef0f3; display: block; image-rendering: auto; }
  .images { display: flex; flex-wrap: wrap; gap: 12px; }
  .images figure { margin: 0; background: #fff; border: 1px solid #d8dce3; padding: 6px; font-size: 12px; }
  .images img { max-width: 384px; min-width: 128px; display: block; }
  .benchmark { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 10px; margin-bottom: 12px; }
  img.chart { max-width: 100%; width: 760px; display: block; margin-top: 8px; }
  table { border-collapse: collapse; font-size: 12px; background: #fff; }
  th, td { border: 1px solid #d8dce3; padding: 4px 6px; text-align: left; vertical-align: top; }
  tr.reference td { color: #5b6472; font-style: italic; }
  .status { font-weight: 600; }
  .muted { color: #5b6472; }
`;

/** The page around a body: title, the links every page has, and the stylesheet. */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${new Html(STYLE)}</style></head>
<body><header><h1><a href="/" style="color:#fff;text-decoration:none">sdfarm</a></h1>
<a href="/">gallery</a><a href="/queues" id="dashboard-link">queue dashboard</a><a href="/docs">API docs</a></header>
<main>${body}</main></body></html>`.value;
}

import type { IncomingMessage, ServerResponse } from 'node:http';

type Next = (error?: unknown) => void;

/**
 * Reads JSON request bodies. Unlike a strict parser it accepts the bare `NaN`, `Infinity` and
 * `-Infinity` tokens that some clients write (Python's json.dumps does), so that validation can
 * reject them naming the field, instead of a parse error that names none.
 */
export function jsonBody(limitBytes: number) {
  return (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: Next): void => {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) return next();
    const parts: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size > limitBytes && !failed) {
        failed = true;
        reply(res, 413, `request body must be at most ${limitBytes} bytes`);
        req.resume();
      } else if (!failed) {
        parts.push(part);
      }
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(parts).toString('utf8');
      if (text.trim() === '') return next();
      try {
        req.body = parseJsonWithNonFinite(text);
      } catch (error) {
        return reply(res, 400, `body is not valid JSON: ${(error as Error).message}`);
      }
      next();
    });
    req.on('error', next);
  };
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };
const MARK = '\u0000sdfarm-non-finite:';

/** JSON.parse, with bare NaN / Infinity / -Infinity outside strings read as those numbers. */
export function parseJsonWithNonFinite(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(MARK + token);
      i += token.length - 1;
      continue;
    }
    out += ch;
  }
  return JSON.parse(out, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(MARK) ? NON_FINITE[value.slice(MARK.length)] : value,
  );
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ statusCode: status, message }));
}

// Jazzer.js target: the `mime` worker task. It must summarize any bytes without throwing and keep
// every body-part offset inside the message.
import { summarize } from '../dist/workers/parse-mime.js';

function check(p, size) {
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === 'number' && /start|end|offset/i.test(k) && (v < 0 || v > size)) throw new Error(`part ${k}=${v} outside 0..${size}`);
  }
  for (const c of p.children ?? []) check(c, size);
}

export function fuzz(data) {
  const s = summarize(Buffer.from(data));
  check(s.body, data.length);
}

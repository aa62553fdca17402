/** Compact uid sets for responses (`1:3,5,9:12`), as COPYUID, VANISHED and ESEARCH ALL send them. */

/** Format ascending (or any order, sorted here) numbers as an IMAP sequence set. */
export function uidSetText(values: readonly number[]): string {
  const v = [...values].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < v.length; ) {
    let j = i;
    while (j + 1 < v.length && v[j + 1]! <= v[j]! + 1) j++;
    out.push(v[i] === v[j] ? String(v[i]) : `${v[i]}:${v[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Format numbers in the given order, pairing with another list (COPYUID keeps order). */
export function orderedSetText(values: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(i === j ? String(values[i]) : `${values[i]}:${values[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** IP address and CIDR matching (pure). */
import { isIPv4, isIPv6 } from 'node:net';

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
}

function v6ToBig(ip: string): bigint {
  let [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, ''];
  const h = head ? head.split(':') : [];
  let t = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const last = t.length ? t[t.length - 1]! : h[h.length - 1] ?? '';
  const extra: string[] = [];
  if (last.includes('.')) {
    const v4 = v4ToBig(last);
    extra.push(((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
    if (t.length) t = t.slice(0, -1);
    else h.pop();
  }
  const tt = [...t, ...extra];
  const fill = ip.includes('::') ? 8 - h.length - tt.length : 0;
  const groups = [...h, ...Array(Math.max(0, fill)).fill('0'), ...tt];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

/**
 * Canonical text of an address: `::ffff:1.2.3.4` and uWS's long form
 * `0000:...:ffff:7f00:0001` become `1.2.3.4`; other IPv6 addresses are compressed (`::1`).
 */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return m[1]!;
  if (!isIPv6(ip)) return ip;
  const n = v6ToBig(ip);
  if (n >> 32n === 0xffffn) {
    return [24n, 16n, 8n, 0n].map((sh) => String((n >> sh) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** True when `ip` lies in `cidr` (`127.0.0.0/8`, `::1/128`, or a bare address). */
export function inCidr(ip: string, cidr: string): boolean {
  const addr = normalizeIp(ip);
  const [net, bitsText] = cidr.split('/') as [string, string | undefined];
  if (isIPv4(addr) && isIPv4(net)) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (bits === 0) return true;
    const mask = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - bits)) - 1n);
    return (v4ToBig(addr) & mask) === (v4ToBig(net) & mask);
  }
  if (isIPv6(addr) && isIPv6(net)) {
    const bits = bitsText === undefined ? 128 : Number(bitsText);
    if (bits === 0) return true;
    const mask = ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n);
    return (v6ToBig(addr) & mask) === (v6ToBig(net) & mask);
  }
  return false;
}

const cache = new Map<string, boolean>();

/** True when `ip` is in any of `networks` (memoised per address). */
export function inTrustedNetworks(ip: string, networks: string[]): boolean {
  const key = `${ip}|${networks.join(',')}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = networks.some((n) => inCidr(ip, n));
    if (cache.size > 10_000) cache.clear();
    cache.set(key, hit);
  }
  return hit;
}

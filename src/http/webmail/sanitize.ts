/**
 * HTML mail sanitizer (sanitize-html). Allow-list only: no script, style, SVG, MathML, forms,
 * frames or embeds (their content is dropped), no event handlers or style/class/id attributes
 * (so a mail cannot restyle or impersonate the page's own selectors), links limited to
 * http/https/mailto and opened with noopener. Remote images are not loaded: their URL moves to
 * data-remote-src unless the user allowed remote content for this message; `cid:` images point
 * at the message's own parts. The page CSP (img-src 'self' data:) backs this up.
 * Covers the payload shapes of the Roundcube stored-XSS CVEs (2018-19206, 2023-5631,
 * 2024-37383, 2024-42009): SVG animate/set href tricks, malformed attribute quoting, and
 * style/content-type confusion.
 */
import sanitizeHtml from 'sanitize-html';

/** Options of one sanitization. */
export interface SanitizeOptions {
  /** Load remote images (the user asked for it on this message). */
  allowRemote: boolean;
  /** Map a `cid:` reference (without `cid:`) to a URL of the message's part, or null. */
  cidUrl: (cid: string) => string | null;
}

/** What came out: the safe HTML and whether remote content was held back. */
export interface Sanitized {
  html: string;
  blockedRemote: number;
}

const TAGS = [
  'a', 'abbr', 'address', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col',
  'colgroup', 'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'h1', 'h2', 'h3', 'h4',
  'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'small', 'span',
  'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];

const DROP_WITH_CONTENT = [
  'script', 'style', 'textarea', 'option', 'noscript', 'svg', 'math', 'template', 'xmp', 'iframe', 'object', 'embed',
  'head', 'title', 'noembed', 'noframes', 'plaintext', 'select', 'button', 'applet', 'frameset', 'frame', 'base',
  'meta', 'link', 'form', 'canvas', 'audio', 'video', 'picture', 'source', 'animate', 'set', 'foreignobject',
];

const CELL = ['align', 'valign', 'width', 'height', 'colspan', 'rowspan', 'bgcolor', 'nowrap'];

const REMOTE = /^(https?:)?\/\//i;

/** Sanitize one HTML mail body for display inside the webmail page. */
export function sanitizeMail(input: string, opts: SanitizeOptions): Sanitized {
  let blockedRemote = 0;
  const html = sanitizeHtml(input, {
    allowedTags: TAGS,
    nonTextTags: DROP_WITH_CONTENT,
    disallowedTagsMode: 'discard',
    allowedAttributes: {
      a: ['href', 'title', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height', 'data-remote-src'],
      font: ['color', 'size', 'face'],
      table: ['width', 'border', 'cellpadding', 'cellspacing', 'align', 'bgcolor', 'summary'],
      td: CELL, th: CELL, tr: ['align', 'valign', 'bgcolor'], col: ['span', 'width'], colgroup: ['span', 'width'],
      p: ['align'], div: ['align'], h1: ['align'], h2: ['align'], h3: ['align'], ol: ['start', 'type'], li: ['value'],
      blockquote: ['cite'], q: ['cite'], del: ['datetime'], ins: ['datetime'], span: ['title'], abbr: ['title'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data', 'cid'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'data-remote-src'],
    allowProtocolRelative: false,
    allowedStyles: {},
    allowVulnerableTags: false,
    parseStyleAttributes: false,
    enforceHtmlBoundary: false,
    transformTags: {
      a: (tagName, attribs) => {
        const out: Record<string, string> = { ...attribs, rel: 'noopener noreferrer nofollow' };
        if (attribs.href && !attribs.href.startsWith('#')) out.target = '_blank';
        else delete out.target;
        return { tagName, attribs: out };
      },
      img: (tagName, attribs) => {
        const src = (attribs.src ?? '').trim();
        const out: Record<string, string> = { ...attribs };
        delete out['data-remote-src'];
        if (/^cid:/i.test(src)) {
          const url = opts.cidUrl(src.slice(4).replace(/^<|>$/g, ''));
          if (url) out.src = url;
          else delete out.src;
        } else if (/^data:/i.test(src)) {
          if (!/^data:image\/(png|gif|jpe?g|webp|bmp);base64,[a-z0-9+/=\s]*$/i.test(src)) delete out.src;
        } else if (REMOTE.test(src) && !opts.allowRemote) {
          blockedRemote += 1;
          out['data-remote-src'] = src;
          delete out.src;
        } else if (!/^https?:/i.test(src)) {
          delete out.src;
        }
        return { tagName, attribs: out };
      },
    },
  });
  return { html, blockedRemote };
}

/** The CAPABILITY list, which depends on TLS and login state (RFC 3501 6.1.1, 7.2.1). */
import type { Session } from './connection.js';

const COMMON = 'IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT';
const AFTER_LOGIN = [
  'UIDPLUS', 'MOVE', 'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'CHILDREN', 'LIST-EXTENDED', 'LIST-STATUS', 'CONDSTORE', 'QRESYNC',
  'QUOTA', 'QUOTA=RES-STORAGE', 'ESEARCH', 'SORT', 'THREAD=REFERENCES', 'BINARY', 'UNSELECT',
].filter((c, i, a) => a.indexOf(c) === i && !COMMON.includes(c)).join(' ');

/** The capabilities to announce to this session now. No COMPRESS=DEFLATE (iOS trouble, issue 5). */
export function capabilities(s: Session): string {
  if (s.state === 'notauth') {
    const tls = s.secure ? '' : ' STARTTLS';
    const auth = s.credentialsAllowed ? ' AUTH=PLAIN' : ' LOGINDISABLED';
    return `${COMMON}${tls}${auth}`;
  }
  return `${COMMON} ${AFTER_LOGIN} APPENDLIMIT=${s.ctx.services.config.smtp.max_message_bytes}`;
}

import t from 'tap';
import { Router } from '../../src/http/router.js';

const h = async () => ({ status: 200 });

t.test('matching', async (t) => {
  const r = new Router();
  r.on('GET', '/folders', { auth: 'user' }, h);
  r.on(['GET', 'DELETE'], '/folders/:folder/messages/:uid', { auth: 'user' }, h);
  r.on('*', '/drive/*', { auth: 'optional' }, h);
  const m = r.match('GET', ['folders', 'INBOX', 'messages', '5']);
  t.ok(m && m !== 'method');
  if (m && m !== 'method') t.same(m.params, { folder: 'INBOX', uid: '5' });
  t.equal(r.match('PUT', ['folders', 'INBOX', 'messages', '5']), 'method');
  t.equal(r.match('GET', ['nothing']), null);
  const d = r.match('PROPFIND', ['drive', 'a', 'b']);
  t.ok(d && d !== 'method' && d.rest.join('/') === 'a/b');
  const root = r.match('GET', ['drive']);
  t.ok(root && root !== 'method' && root.rest.length === 0);
  t.same(r.allowed(['folders', 'x', 'messages', '1']).sort(), ['DELETE', 'GET']);
  t.same(r.allowed(['drive', 'x']), ['*']);
});

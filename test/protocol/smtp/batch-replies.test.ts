import t, { type Test } from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { batchReplies } from '../../../src/smtp/server.js';

/** A connected pair: the server side wrapped by batchReplies, the client's received text. */
async function pair(t: Test): Promise<{ server: Socket; received: () => string }> {
  let text = '';
  const accepted = new Promise<Socket>((resolve) => {
    const srv = createServer((s) => resolve(s));
    srv.listen(0, '127.0.0.1');
    t.teardown(() => srv.close());
    srv.once('listening', () => {
      const port = (srv.address() as { port: number }).port;
      const c = connect(port, '127.0.0.1');
      c.setEncoding('latin1');
      c.on('data', (d: string) => (text += d));
      t.teardown(() => c.destroy());
    });
  });
  const server = await accepted;
  batchReplies(server);
  t.teardown(() => server.destroy());
  return { server, received: () => text };
}

const until = async (f: () => boolean) => {
  while (!f()) await new Promise((r) => setTimeout(r, 5));
};

t.test('replies of one turn are corked and sent together at its end, in order', async (t) => {
  const { server, received } = await pair(t);
  server.write('250 2.1.0 Accepted\r\n');
  server.write('250 2.1.5 Accepted\r\n');
  server.write('354 End data with <CR><LF>.<CR><LF>\r\n');
  t.equal(server.writableCorked, 1, 'held during the turn');
  await new Promise((r) => setImmediate(r));
  t.equal(server.writableCorked, 0, 'released at its end');
  const want = '250 2.1.0 Accepted\r\n250 2.1.5 Accepted\r\n354 End data with <CR><LF>.<CR><LF>\r\n';
  await until(() => received().length >= want.length);
  t.equal(received(), want);
});

t.test('a 220 (greeting, STARTTLS go-ahead) is never held, and flushes what was', async (t) => {
  const { server, received } = await pair(t);
  server.write('220 host ESMTP\r\n');
  t.equal(server.writableCorked, 0);
  server.write('250 2.0.0 OK\r\n');
  server.write('220 2.0.0 Ready to start TLS\r\n');
  t.equal(server.writableCorked, 0, 'the 220 went out at once, after what was corked');
  const want = '220 host ESMTP\r\n250 2.0.0 OK\r\n220 2.0.0 Ready to start TLS\r\n';
  await until(() => received().length >= want.length);
  t.equal(received(), want);
  await new Promise((r) => setImmediate(r));
  t.equal(server.writableCorked, 0, 'the pending flush does not uncork twice');
});

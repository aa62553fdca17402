import t from 'tap';
import { Spool } from '../../../src/services/spool.js';

const block = async (s: string) => (await (await Spool.from('/nonexistent', Buffer.from(s, 'latin1'))).headerBlock()).toString('latin1');

t.test('headerBlock: the header lines without the empty line that ends them', async (t) => {
  t.equal(await block('A: 1\r\nB: 2\r\n\r\nbody\r\nDKIM-Signature: x\r\n'), 'A: 1\r\nB: 2\r\n');
  t.equal(await block('A: 1\nB: 2\n\nbody\n'), 'A: 1\nB: 2\n', 'bare LF');
  t.equal(await block('A: 1\r\n folded\r\n\r\n'), 'A: 1\r\n folded\r\n', 'folded line, empty body');
  t.equal(await block('\r\nbody only\r\n'), '', 'no headers');
  t.equal(await block('\nbody only\n'), '', 'no headers, bare LF');
  t.equal(await block('A: 1\r\nB: 2\r\n'), 'A: 1\r\nB: 2\r\n', 'no empty line: all of it');
  t.equal(await block('A: 1\nB: 2\r\n\r\nx\n\ny'), 'A: 1\nB: 2\r\n', 'the first empty line of either kind');
});

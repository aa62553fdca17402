import t from 'tap';
import { spawnSync, execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../../helpers/server.js';

const PY = '/usr/bin/python3';
const have = spawnSync(PY, ['-c', 'import caldav'], { stdio: 'ignore' }).status === 0;

t.test('python3-caldav: discovery, create, search by date, delete', { skip: have ? false : 'python3-caldav not installed (apt-get install -y python3-caldav)' }, async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const script = fileURLToPath(new URL('./python_client.py', import.meta.url));
  const out = await new Promise<string>((resolve, reject) => {
    execFile(PY, [script, `${s.url}/.well-known/caldav`, 'alice@example.com', 'pw-alice'], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
  t.match(out, /principal .*\/caldav\/alice\//);
  t.match(out, 'calendars 2');
  t.match(out, 'search 1');
  t.match(out, 'after delete 0');
  t.match(out, 'OK');
});

import t from 'tap';
import { etagMatches } from '../../src/common/etag.js';

t.test('etagMatches compares tags without quotes or the weak prefix', async (t) => {
  t.ok(etagMatches('"abc"', '"abc"'), 'quoted tag (Drive) against a quoted header');
  t.ok(etagMatches('"abc"', 'abc'), 'bare tag (calendar) against a quoted header');
  t.ok(etagMatches('W/"abc"', '"abc"'), 'weak header tag');
  t.ok(etagMatches('"x", "abc" ,"y"', 'abc'), 'one of a list');
  t.notOk(etagMatches('"abcd"', 'abc'), 'a longer tag is another tag');
  t.notOk(etagMatches('"x", "y"', 'abc'), 'none of a list');
});

t.test('etagMatches: * matches any entity, nothing matches no entity', async (t) => {
  t.ok(etagMatches(' * ', 'abc'));
  t.notOk(etagMatches('*', undefined));
  t.notOk(etagMatches('"abc"', undefined));
});

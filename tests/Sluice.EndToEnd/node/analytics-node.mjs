// Sends one call of each Segment Spec type through Segment's own Node client (@segment/analytics-node, pinned
// in package-lock.json) to the host given on the command line, then flushes and exits.
// Usage: node analytics-node.mjs <host> <writeKey> <runId>
// Exit code 0 when every call was delivered (the API answered 200); 1 with the reason on stderr otherwise.
import { Analytics } from '@segment/analytics-node';

const [host, writeKey, runId] = process.argv.slice(2);
if (!host || !writeKey || !runId) {
  console.error('usage: node analytics-node.mjs <host> <writeKey> <runId>');
  process.exit(2);
}

const failures = [];
const analytics = new Analytics({ writeKey, host, flushAt: 6, flushInterval: 1000, maxRetries: 2, httpRequestTimeout: 10000 });
analytics.on('error', (err) => failures.push(`error event: ${err?.code ?? ''} ${err?.reason ?? err}`));

const done = (call) => (err) => {
  if (err) failures.push(`${call}: ${err?.message ?? err}`);
};

const userId = `${runId}-user`;
analytics.identify({ userId, traits: { email: 'ada@example.com', plan: 'pro' } }, done('identify'));
analytics.track({ userId, event: 'Order Completed', properties: { revenue: 42.5, currency: 'EUR' } }, done('track'));
analytics.page({ userId, category: 'Docs', name: 'Pricing', properties: { url: 'https://example.com/pricing' } }, done('page'));
analytics.screen({ anonymousId: `${runId}-anon`, name: 'Settings' }, done('screen'));
analytics.group({ userId, groupId: `${runId}-group`, traits: { name: 'Initech' } }, done('group'));
analytics.alias({ userId, previousId: `${runId}-anon` }, done('alias'));

try {
  await analytics.closeAndFlush({ timeout: 30000 });
} catch (err) {
  failures.push(`closeAndFlush: ${err?.message ?? err}`);
}

if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('sent 6 calls');

// Sends one call of each Segment Spec type through Segment's own Node client (@segment/analytics-node,
// pinned in package-lock.json) to the host given on the command line, then flushes and exits.
// Usage: node send.mjs <host> <writeKey> [runId]     (or SEGMENT_HOST / SEGMENT_WRITE_KEY / RUN_ID)
// Exit code 0 when every call was delivered; 1 with the reason on stderr otherwise.
import { Analytics } from '@segment/analytics-node';

const host = process.argv[2] ?? process.env.SEGMENT_HOST;
const writeKey = process.argv[3] ?? process.env.SEGMENT_WRITE_KEY;
const runId = process.argv[4] ?? process.env.RUN_ID ?? 'vendor';
if (!host || !writeKey) {
  console.error('usage: node send.mjs <host> <writeKey> [runId]');
  process.exit(2);
}

const failures = [];
const analytics = new Analytics({ writeKey, host, flushAt: 6, flushInterval: 1000, maxRetries: 2, httpRequestTimeout: 5000 });
analytics.on('error', (err) => failures.push(`error event: ${err?.code ?? ''} ${err?.reason ?? err}`));

const done = (call) => (err) => {
  if (err) failures.push(`${call}: ${err?.message ?? err}`);
};

const userId = `${runId}-user`;
analytics.identify({ userId, traits: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' } }, done('identify'));
analytics.track({ userId, event: 'Order Completed', properties: { revenue: 42.5, currency: 'EUR' } }, done('track'));
analytics.page({ userId, category: 'Docs', name: 'Pricing', properties: { url: 'https://example.com/pricing' } }, done('page'));
analytics.screen({ anonymousId: `${runId}-anon`, name: 'Settings', properties: { tab: 'billing' } }, done('screen'));
analytics.group({ userId, groupId: `${runId}-group`, traits: { name: 'Initech', employees: 420 } }, done('group'));
analytics.alias({ userId, previousId: `${runId}-anon` }, done('alias'));

try {
  await analytics.closeAndFlush({ timeout: 20000 });
} catch (err) {
  failures.push(`closeAndFlush: ${err?.message ?? err}`);
}

if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('sent 6 calls');

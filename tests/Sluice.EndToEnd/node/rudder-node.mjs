// Sends one call of each Segment Spec type through RudderStack's Node client (@rudderstack/rudder-sdk-node, pinned in
// package-lock.json) to the data plane given on the command line, then flushes and exits. The client posts gzipped
// batches to `<dataPlaneUrl>/v1/batch` with the write key as HTTP Basic user.
// Usage: node rudder-node.mjs <dataPlaneUrl> <writeKey> <runId>
// Exit code 0 when every call was delivered (the API answered 200); 1 with the reason on stderr otherwise.
import Analytics from '@rudderstack/rudder-sdk-node';

const [dataPlaneUrl, writeKey, runId] = process.argv.slice(2);
if (!dataPlaneUrl || !writeKey || !runId) {
  console.error('usage: node rudder-node.mjs <dataPlaneUrl> <writeKey> <runId>');
  process.exit(2);
}

const CALLS = 6;
const failures = [];
let settled = 0;
let allSettled;
const everyCallSettled = new Promise((resolve) => { allSettled = resolve; });
const done = (call) => (err) => {
  if (err) failures.push(`${call}: ${err?.response?.status ?? ''} ${err?.message ?? err}`);
  if (++settled === CALLS) allSettled();
};

// Without an errorHandler the client rethrows a failed flush, including the one it starts by itself on the first
// call, which nothing here awaits: node would die of an unhandled rejection instead of reporting the calls.
const errorHandler = (err) => failures.push(`request: ${err?.response?.status ?? err?.code ?? ''} ${err?.message ?? err}`);
const client = new Analytics(writeKey, { dataPlaneUrl, flushAt: CALLS, flushInterval: 500, retryCount: 2, logLevel: 'error', errorHandler });

const userId = `${runId}-user`;
client.identify({ userId, traits: { email: 'ada@example.com', plan: 'pro', logins: 3 } }, done('identify'));
client.track({ userId, event: 'Order Completed', properties: { revenue: 42.5, currency: 'EUR', couponCode: 'SPRING', itemCount: 2 } }, done('track'));
client.page({ userId, category: 'Docs', name: 'Pricing', properties: { url: 'https://example.com/pricing', planShown: 'pro' } }, done('page'));
client.screen({ anonymousId: `${runId}-anon`, name: 'Settings', properties: { tab: 'billing' } }, done('screen'));
client.group({ userId, groupId: `${runId}-group`, traits: { name: 'Initech', employees: 120 } }, done('group'));
client.alias({ userId, previousId: `${runId}-anon` }, done('alias'));

const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 30000));
try {
  await client.flush();
} catch (err) {
  failures.push(`flush: ${err?.message ?? err}`);
}
if ((await Promise.race([everyCallSettled, timeout])) === 'timeout') {
  failures.push(`only ${settled} of ${CALLS} calls settled within 30 s`);
}

if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`sent ${CALLS} calls`);
process.exit(0);

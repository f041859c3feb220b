// Change Data Capture through jsforce's own streaming client (faye, long-polling CometD).
// args.mode:
//   "live":   conn.streaming.topic('/data/ContactChangeEvent').subscribe(...), then create, update and delete a
//             Contact through jsforce REST (with callOptions client=jsforce-test); returns the events received.
//   "replay": a client with jsforce's Replay extension subscribes from args.replayFrom and collects args.expect
//             events (or the subscription's error, e.g. an expired replay id).
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';

const channel = '/data/ContactChangeEvent';

function collect(count, timeoutMs) {
  const events = [];
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const timer = setTimeout(() => done(), timeoutMs);
  return {
    events,
    finished,
    onMessage(message) {
      events.push(message);
      if (events.length >= count) { clearTimeout(timer); done(); }
    },
  };
}

function subscribed(subscription) {
  return new Promise((resolve, reject) => subscription.then(resolve, reject));
}

export default async function ({ args, connect }) {
  const conn = connect({ callOptions: { client: 'jsforce-test' } });
  await conn.login(args.username, args.password);

  if (args.mode === 'live') {
    const received = collect(3, 30000);
    const subscription = conn.streaming.topic(channel).subscribe((message) => received.onMessage(message));
    await subscribed(subscription);
    const created = await conn.sobject('Contact').create({ LastName: 'Streamed', Email: 'streamed@example.com' });
    await conn.sobject('Contact').update({ Id: created.id, Email: 'changed@example.com', Phone: '555-0100' });
    await conn.sobject('Contact').destroy(created.id);
    await received.finished;
    subscription.cancel();
    // jsforce keeps its topic client connected; disconnect it so that node can exit.
    await subscription._client.disconnect();
    return { id: created.id, events: received.events };
  }

  const received = collect(args.expect ?? 1, args.waitMs ?? 30000);
  const client = conn.streaming.createClient([new StreamingExtension.Replay(channel, args.replayFrom)]);
  const subscription = client.subscribe(channel, (message) => received.onMessage(message));
  try {
    await subscribed(subscription);
  } catch (error) {
    client.disconnect();
    return { subscribeError: { code: error.code, message: error.message } };
  }

  await received.finished;
  client.disconnect();
  return { events: received.events };
}

// DeviceLister: riffbox/listDevices' probing in a worker thread (never on the JSON-RPC thread), one probe
// shared by concurrent requests, and a recent listing reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceLister } from '../../appliance/src/client/device-list.js';
import { listAlsaDevices } from '../../appliance/src/audio/alsa-device.js';

const MISSING = 'riffbox_no_such_pcm_for_lister';

test('lists what listAlsaDevices lists, from a worker, sharing one probe between concurrent requests', async () => {
  const lister = new DeviceLister();
  try {
    const [a, b] = await Promise.all([lister.list([MISSING]), lister.list([MISSING])]);
    assert.equal(a, b, 'concurrent requests share one probe');
    assert.deepEqual(a, listAlsaDevices([MISSING]));
    const extra = a.find((d) => d.pcm === MISSING);
    assert.equal(extra?.card, -1);
    assert.equal(extra?.captureChannels, 0);
    // A listing this recent is answered again without probing.
    assert.equal(await lister.list([MISSING]), a);
    const other = await lister.list([`${MISSING}_2`]);
    assert.notEqual(other, a);
    assert.ok(other.some((d) => d.pcm === `${MISSING}_2`));
  } finally {
    await lister.close();
  }
});

test('the event loop keeps running while a probe is under way', async () => {
  const lister = new DeviceLister();
  try {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await lister.list([MISSING]);
    clearInterval(timer);
    // Worker start-up plus the probe take tens of ms; a blocked loop would count none of them.
    assert.ok(ticks > 0, `timer ticks during the probe: ${ticks}`);
  } finally {
    await lister.close();
  }
});

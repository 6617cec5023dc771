// The client's personal mix: Jamulus's fader law, mute/solo/own-signal rules, and the diff against what
// the server holds (which it resets on a new connection or the empty client list).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { faderGain, gainWire, panWire, mixTargets, MixSync, GAIN_UNITY, PAN_CENTRE } from '../../appliance/src/client/personal-mix.js';
import type { RemoteClient } from '../../appliance/src/client/client-options.js';

const who = (id: number, name: string): RemoteClient => ({ id, name, country: 0, instrument: 0, skill: 0, city: '' });
const clients = [who(0, 'me'), who(1, 'ann'), who(3, 'bob')];

describe('fader law', () => {
  test('0 is silence, 100 is unity, 1…100 spans −35…0 dB', () => {
    assert.equal(faderGain(0), 0);
    assert.equal(faderGain(100), 1);
    assert.ok(Math.abs(20 * Math.log10(faderGain(1)) - -34.65) < 1e-9);
    assert.ok(Math.abs(20 * Math.log10(faderGain(50)) - -17.5) < 1e-9);
    assert.equal(gainWire(1), GAIN_UNITY);
    assert.equal(gainWire(faderGain(50)), Math.floor(Math.pow(10, -17.5 / 20) * 32768));
    assert.equal(panWire(0), 0);
    assert.equal(panWire(50), PAN_CENTRE);
    assert.equal(panWire(100), 32768);
  });
});

describe('mix targets', () => {
  test('default entries ask for unity gain and centre pan', () => {
    const t = mixTargets({ clients, ownId: 0, mix: {}, hearOwnSignal: true });
    assert.deepEqual([...t.values()], [1, 2, 3].map(() => ({ gain: GAIN_UNITY, pan: PAN_CENTRE })));
  });

  test('mute, fader and pan per name; own signal off zeroes the own channel only', () => {
    const mix = { ann: { fader: 0, pan: 50, mute: false, solo: false }, bob: { fader: 100, pan: 0, mute: true, solo: false }, me: { fader: 100, pan: 100, mute: false, solo: false } };
    const t = mixTargets({ clients, ownId: 0, mix, hearOwnSignal: false });
    assert.deepEqual(t.get(0), { gain: 0, pan: 32768 });
    assert.deepEqual(t.get(1), { gain: 0, pan: PAN_CENTRE });
    assert.deepEqual(t.get(3), { gain: 0, pan: 0 });
  });

  test('while anyone is soloed only soloists are heard; a muted soloist stays muted', () => {
    const mix = { bob: { fader: 100, pan: 50, mute: false, solo: true } };
    const t = mixTargets({ clients, ownId: 0, mix, hearOwnSignal: true });
    assert.equal(t.get(0)!.gain, 0);
    assert.equal(t.get(1)!.gain, 0);
    assert.equal(t.get(3)!.gain, GAIN_UNITY);
    const muted = mixTargets({ clients, ownId: 0, mix: { bob: { fader: 100, pan: 50, mute: true, solo: true } }, hearOwnSignal: true });
    assert.equal(muted.get(3)!.gain, 0);
  });

  test('own signal off applies before the list names the own channel', () => {
    const t = mixTargets({ clients: [], ownId: 4, mix: {}, hearOwnSignal: false });
    assert.deepEqual(t.get(4), { gain: 0, pan: PAN_CENTRE });
  });
});

describe('MixSync', () => {
  test('sends only what differs from the server, again after a reset, and forgets channels that left', () => {
    const sync = new MixSync();
    const a = new Map([[1, { gain: 0, pan: PAN_CENTRE }], [3, { gain: GAIN_UNITY, pan: 0 }], [5, { gain: GAIN_UNITY, pan: PAN_CENTRE }]]);
    assert.deepEqual(sync.plan(a), [
      { kind: 'gain', channelId: 1, value: 0 },
      { kind: 'pan', channelId: 3, value: 0 },
    ]);
    assert.deepEqual(sync.plan(a), [], 'nothing new');
    // Channel 1 leaves; a newcomer on slot 1 starts at the server defaults again.
    assert.deepEqual(sync.plan(new Map([[3, { gain: GAIN_UNITY, pan: 0 }]])), []);
    assert.deepEqual(sync.plan(new Map([[1, { gain: 0, pan: PAN_CENTRE }]])), [{ kind: 'gain', channelId: 1, value: 0 }]);
    sync.reset();
    assert.deepEqual(sync.plan(new Map([[1, { gain: 0, pan: PAN_CENTRE }]])), [{ kind: 'gain', channelId: 1, value: 0 }]);
  });
});

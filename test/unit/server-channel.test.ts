// A client's announced format becomes ChannelAudio; every combination real clients use must be accepted on
// both server tick sizes, and a size Opus cannot fill must be refused at once (not on every tick).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelAudio } from '../../appliance/src/server/channel.js';
import { CODEC, type AudioFormat } from '../../appliance/src/protocol/index.js';
import { CODED_BYTES } from '../../appliance/src/audio/opus-codec.js';

function format(frameSamples: 64 | 128, channels: 1 | 2, codedBytes: number, factor = 1): AudioFormat {
  return { codec: frameSamples === 64 ? CODEC.OPUS64 : CODEC.OPUS, frameSamples, channels, codedBytes, factor, sequence: true };
}

describe('ChannelAudio', () => {
  for (const server of [64, 128] as const) {
    for (const frames of [64, 128] as const) {
      for (const channels of [1, 2] as const) {
        for (const [quality, bytes] of Object.entries(CODED_BYTES[frames][channels])) {
          test(`${frames}-sample ${channels === 1 ? 'mono' : 'stereo'} ${quality} (${bytes} B) on a ${server}-sample server`, () => {
            const a = new ChannelAudio(format(frames, channels, bytes), server);
            assert.equal(a.packets[0]!.length, bytes + 1);
            // One client frame encodes to exactly the announced size.
            const pcm = new Int16Array(frames * channels);
            const packet = a.encodeFrame(pcm);
            assert.ok(packet, 'factor 1: every frame is a datagram');
            assert.equal(packet.length, bytes + 1);
          });
        }
      }
    }
  }

  test('a size Opus cannot fill (241 bytes per 64-sample mono frame) is refused when announced', () => {
    assert.throws(() => new ChannelAudio(format(64, 1, 241), 128), /opus_custom_encode/);
  });

  test('factor 2: two frames make one datagram', () => {
    const a = new ChannelAudio(format(128, 1, 45, 2), 128);
    assert.equal(a.encodeFrame(new Int16Array(128)), null);
    assert.equal(a.encodeFrame(new Int16Array(128))?.length, 92);
  });
});

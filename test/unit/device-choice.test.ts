// The device setting "auto" against the card listings a Pi and the QEMU boot test present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseAutoDevice } from '../../appliance/src/audio/device-choice.js';
import type { AlsaDeviceInfo } from '../../appliance/src/audio/alsa-device.js';

function card(card: number, id: string, driver: string, dev: number, cap: number | null, play: number | null): AlsaDeviceInfo {
  return { card, id, driver, name: id, pcm: `hw:CARD=${id},DEV=${dev}`, captureChannels: cap, playbackChannels: play };
}

// A Pi 4 with Raspberry Pi OS: two HDMI outputs and the headphone jack, all playback only.
const PI = [card(0, 'vc4hdmi0', 'vc4-hdmi', 0, 0, 8), card(1, 'vc4hdmi1', 'vc4-hdmi', 0, 0, 8), card(2, 'Headphones', 'bcm2835_headpho', 0, 0, 8)];

test('a Pi with a USB interface: the interface, not HDMI or the headphone jack', () => {
  assert.equal(chooseAutoDevice([...PI, card(3, 'USB', 'USB-Audio', 0, 2, 2)]), 'hw:CARD=USB,DEV=0');
});

test('the USB interface wins over another card with input and output, whatever the order', () => {
  const loop = [card(0, 'Loopback', 'Loopback', 0, 32, 32), card(0, 'Loopback', 'Loopback', 1, 32, 32)];
  assert.equal(chooseAutoDevice([...loop, card(1, 'Scarlett', 'USB-Audio', 0, 2, 2)]), 'hw:CARD=Scarlett,DEV=0');
  assert.equal(chooseAutoDevice(loop), 'hw:CARD=Loopback,DEV=0', 'no USB card: the first card with both directions');
});

test('a busy device (channels unknown) still counts; playback-only cards and extra PCM names never do', () => {
  assert.equal(chooseAutoDevice([...PI, card(3, 'USB', 'USB-Audio', 0, null, null)]), 'hw:CARD=USB,DEV=0');
  assert.equal(chooseAutoDevice(PI), null);
  assert.equal(chooseAutoDevice([{ card: -1, id: 'jack', driver: '', name: 'jack', pcm: 'jack', captureChannels: 2, playbackChannels: 2 }]), null);
});

// The device setting "auto": which sound card the local client opens when the owner has not picked
// one. On a Pi, ALSA's "default" is the HDMI or headphone card, which has no input, so the musician's
// USB interface has to be found by name: a snd-usb-audio card with capture and playback comes
// first; otherwise any card with both directions (an onboard codec HAT, snd-aloop); never a
// playback-only card. The udev rule restarts the client when a USB card appears, so a choice is
// made again whenever one is plugged in.
import type { AlsaDeviceInfo } from './alsa-device.js';

export const AUTO_DEVICE = 'auto';
const USB_DRIVER = 'USB-Audio';

/** A direction counts when it exists: a busy device reports null (unknown), which is not 0. */
function both(d: AlsaDeviceInfo): boolean {
  return d.captureChannels !== 0 && d.playbackChannels !== 0;
}

/** The PCM "auto" stands for among `devices` (the card listing), or null when no card qualifies. */
export function chooseAutoDevice(devices: readonly AlsaDeviceInfo[]): string | null {
  const cards = devices.filter((d) => d.card >= 0 && both(d));
  // The first PCM device of a card is its main one (a USB interface has only that one).
  const pick = cards.find((d) => d.driver === USB_DRIVER) ?? cards[0];
  return pick?.pcm ?? null;
}

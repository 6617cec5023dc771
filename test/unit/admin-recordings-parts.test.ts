// Parts of the Recordings page that need no running service: the streamed zip (checked with Info-ZIP's unzip
// and Python's zipfile), its length known in advance, its ZIP64 form for what passes 4 GiB, USB sticks picked
// from lsblk's output, and the mount options that give a FAT stick's files to the services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { streamZip, zipLength, type ZipEntry } from '../../webadmin/src/zip-stream.js';
import { usbVolumes } from '../../webadmin/src/usb-storage.js';
import { mountOptions } from '../../webadmin/src/apply/usb.js';
import { formatBytes, formatSeconds } from '../../webadmin/src/recordings-format.js';

function entry(dir: string, name: string, content: Buffer): ZipEntry {
  const path = join(dir, name.replace('/', '_'));
  writeFileSync(path, content);
  return { name, path, size: content.length, mtime: new Date(2026, 2, 1, 19, 45, 2) };
}

for (const zip64 of [false, true]) {
  test(`a streamed zip${zip64 ? ' with ZIP64 records (what files over 4 GiB get)' : ''} that unzip and Python read back byte for byte, exactly as long as announced`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffbox-zip-'));
    try {
      const entries = [
        entry(dir, 'Jam-1/Ann-127_0_0_1_1-0-1.wav', Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff))),
        entry(dir, 'Jam-1/Jam-1.lof', Buffer.from('file "Ann-127_0_0_1_1-0-1.wav" offset 0.00000000000000\n')),
        entry(dir, 'Jam-1/empty.txt', Buffer.alloc(0)),
        entry(dir, 'Jam-1/Zoë.rpp', Buffer.from('<REAPER_PROJECT>\n')),
      ];
      const out = join(dir, 'out.zip');
      const file = createWriteStream(out);
      await streamZip(file, entries, { zip64 });
      await new Promise<void>((r) => file.end(r));
      assert.equal(statSync(out).size, zipLength(entries, { zip64 }));
      assert.match(execFileSync('unzip', ['-t', out], { encoding: 'utf8' }), /No errors detected in compressed data/);
      const check = `import zipfile,sys
z=zipfile.ZipFile(sys.argv[1])
for i in z.infolist(): print(i.filename, i.file_size, z.read(i) == open(sys.argv[2] + '/' + i.filename.replace('/', '_', 1), 'rb').read())`;
      const lines = execFileSync('python3', ['-c', check, out, dir], { encoding: 'utf8' }).trim().split('\n');
      assert.deepEqual(lines, ['Jam-1/Ann-127_0_0_1_1-0-1.wav 300000 True', 'Jam-1/Jam-1.lof 55 True', 'Jam-1/empty.txt 0 True', 'Jam-1/Zoë.rpp 17 True']);
      const bytes = readFileSync(out);
      assert.equal(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), zip64, 'a ZIP64 end record exactly when asked for');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a download cancelled half-way stops the stream with an error rather than hanging', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffbox-zip-'));
  try {
    const entries = [entry(dir, 'a/b.wav', Buffer.alloc(4 << 20))];
    const out = new PassThrough({ highWaterMark: 1024 });
    out.once('data', () => out.destroy());
    await assert.rejects(streamZip(out, entries), /cancelled/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('USB sticks from lsblk: partitions with a usable file system on USB disks, never the disk the system runs from', () => {
  const lsblk = {
    blockdevices: [
      { path: '/dev/mmcblk0', type: 'disk', tran: null, children: [{ path: '/dev/mmcblk0p2', type: 'part', fstype: 'ext4', mountpoint: '/' }] },
      { path: '/dev/sda', type: 'disk', tran: 'usb', model: 'Cruzer  ', size: 32e9, children: [
        { path: '/dev/sda1', type: 'part', fstype: 'vfat', label: 'BAND', size: 31e9, mountpoint: null },
        { path: '/dev/sda2', type: 'part', fstype: 'swap', size: 1e9 },
      ] },
      { path: '/dev/sdb', type: 'disk', tran: 'usb', fstype: 'exfat', label: null, size: 64e9, model: 'Stick' },
      { path: '/dev/sdc', type: 'disk', tran: 'usb', children: [{ path: '/dev/sdc1', type: 'part', fstype: 'ext4', mountpoint: '/' }] },
      { path: '/dev/sdd', type: 'disk', tran: 'sata', children: [{ path: '/dev/sdd1', type: 'part', fstype: 'ext4' }] },
    ],
  };
  assert.deepEqual(usbVolumes(lsblk).map((v) => [v.device, v.fstype, v.label, v.model]), [
    ['/dev/sdb', 'exfat', '', 'Stick'],
    ['/dev/sda1', 'vfat', 'BAND', 'Cruzer'],
  ]);
  assert.deepEqual(usbVolumes(null), []);
  assert.deepEqual(usbVolumes({ blockdevices: [{ path: '/dev/loop3', type: 'loop', fstype: 'ext4', size: 5 }] }, true).map((v) => v.device), ['/dev/loop3']);
});

test('mount options: FAT and exFAT files belong to the services, group-writable; ext4 keeps its owners', () => {
  assert.equal(mountOptions('vfat', { uid: 998, gid: 997 }), 'noatime,nodev,nosuid,noexec,uid=998,gid=997,fmask=0117,dmask=0007,utf8,shortname=mixed');
  assert.equal(mountOptions('exfat', { uid: 998, gid: 997 }), 'noatime,nodev,nosuid,noexec,uid=998,gid=997,fmask=0117,dmask=0007');
  assert.equal(mountOptions('ext4', { uid: 998, gid: 997 }), 'noatime,nodev,nosuid,noexec');
});

test('sizes and lengths as the page shows them', () => {
  assert.deepEqual([formatBytes(999), formatBytes(1500), formatBytes(2_500_000), formatBytes(345_000_000), formatBytes(4.2e9)], ['999 B', '2 kB', '2.5 MB', '345 MB', '4.2 GB']);
  assert.deepEqual([formatSeconds(7.4), formatSeconds(754), formatSeconds(3723)], ['0:07', '12:34', '1:02:03']);
});

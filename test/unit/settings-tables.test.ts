import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COUNTRIES, MAX_QT_COUNTRY, countryFromIso, isoFromCountry, parseCountry, countryName,
} from '../../appliance/src/settings/countries.js';
import { INSTRUMENTS, instrumentName, parseInstrument } from '../../appliance/src/settings/instruments.js';
import {
  DIRECTORY_TYPES, GENRE_DIRECTORIES, directoryAddress, directoryTypeOf, genreDirectory,
} from '../../appliance/src/settings/directories.js';

test('country table: every Qt 5.15 value 0…261 once, ISO codes unique', () => {
  assert.deepEqual(COUNTRIES.map((c) => c.code), Array.from({ length: MAX_QT_COUNTRY + 1 }, (_, i) => i));
  const isos = COUNTRIES.flatMap((c) => (c.iso ? [c.iso] : []));
  assert.equal(new Set(isos).size, isos.length);
  for (const iso of isos) assert.match(iso, /^[A-Z]{2}$/);
  // Regions without a two-letter code.
  for (const code of [0, 246, 258, 259, 260, 261]) assert.equal(isoFromCountry(code), undefined, countryName(code));
  assert.equal(isos.length, 256);
});

test('country lookups both ways, spot-checked against Qt names', () => {
  assert.equal(countryFromIso('de'), 82);
  assert.equal(countryFromIso('DE'), 82);
  assert.equal(isoFromCountry(82), 'DE');
  assert.equal(countryName(82), 'Germany');
  for (const [iso, code, name] of [
    ['FR', 74, 'France'], ['GB', 224, 'United Kingdom'], ['US', 225, 'United States'], ['CW', 152, 'Cura Sao'],
    ['CH', 206, 'Switzerland'], ['XK', 257, 'Kosovo'], ['SS', 254, 'South Sudan'], ['TL', 62, 'East Timor'],
  ] as const) {
    assert.equal(countryFromIso(iso), code, iso);
    assert.equal(isoFromCountry(code), iso);
    assert.equal(countryName(code), name);
  }
  for (const c of COUNTRIES) if (c.iso) assert.equal(countryFromIso(c.iso), c.code);
  assert.equal(countryName(9999), 'Default');
});

test('parseCountry: ISO in any case or a Qt number, clear errors otherwise', () => {
  assert.equal(parseCountry('fr'), 74);
  assert.equal(parseCountry(' Fr '), 74);
  assert.equal(parseCountry('82'), 82);
  assert.equal(parseCountry('0'), 0);
  assert.throws(() => parseCountry('ZZ'), { message: 'Unknown country "ZZ": not an ISO 3166-1 two-letter code riffbox knows' });
  assert.throws(() => parseCountry('262'), { message: 'Unknown country code 262: Qt country codes run from 0 to 261' });
  assert.throws(() => parseCountry('Germany'), { message: 'Unknown country "Germany": use an ISO two-letter code such as DE, or a Qt country number' });
  assert.throws(() => parseCountry(''), RangeError);
});

test('instrument table: codes 0…49 with the categories of Appendix B', () => {
  assert.deepEqual(INSTRUMENTS.map((i) => i.code), Array.from({ length: 50 }, (_, i) => i));
  assert.equal(instrumentName(4), 'Acoustic Guitar');
  assert.equal(INSTRUMENTS[4]?.category, 'plucked');
  assert.equal(INSTRUMENTS[26]?.category, 'multiple');
  assert.equal(instrumentName(49), 'Conductor');
  assert.equal(instrumentName(50), 'None');
  assert.equal(parseInstrument('bass guitar'), 5);
  assert.equal(parseInstrument('48'), 48);
  assert.throws(() => parseInstrument('50'), { message: 'Unknown instrument code 50: codes run from 0 to 49' });
});

test('directory table: .app hosts and the JSON-RPC directoryType strings', () => {
  assert.deepEqual(DIRECTORY_TYPES, [
    'none', 'any_genre_1', 'any_genre_2', 'any_genre_asia', 'genre_rock', 'genre_jazz', 'genre_classical_folk',
    'genre_choral_barbershop', 'any_genre_3', 'custom',
  ]);
  assert.equal(directoryAddress('any_genre_1'), 'anygenre1.jamulus.app:22124');
  assert.equal(directoryAddress('genre_choral_barbershop'), 'choral.jamulus.app:22724');
  assert.equal(genreDirectory('any_genre_3')?.host, 'asia.jamulus.app');
  assert.equal(directoryAddress('dir.example.org:22000'), 'dir.example.org:22000');
  assert.equal(directoryTypeOf('genre_jazz'), 'genre_jazz');
  assert.equal(directoryTypeOf('rock.jamulus.io:22424'), 'genre_rock');
  assert.equal(directoryTypeOf('anygenre1.jamulus.io'), 'any_genre_1');
  assert.equal(directoryTypeOf('203.0.113.1:22124'), 'custom');
  assert.equal(GENRE_DIRECTORIES.length, 7);
  for (const d of GENRE_DIRECTORIES) assert.match(d.host, /\.jamulus\.app$/);
});

// The public genre directories (protocol reference §6.7). Host names are the 3.12.3+ `.app`
// ones, which current Jamulus clients list; the `.io` names of 3.7–3.12.2 are kept only to
// recognise an old address someone types in. `type` is the JSON-RPC `directoryType` string of
// `jamulusserver/setDirectory` (3.12+), which is also how riffbox stores the choice.

export type GenreDirectoryType =
  | 'any_genre_1'
  | 'any_genre_2'
  | 'any_genre_asia'
  | 'genre_rock'
  | 'genre_jazz'
  | 'genre_classical_folk'
  | 'genre_choral_barbershop';

/** Every `directoryType` string §8.3 defines. `any_genre_3` is the 3.12.0–3.12.2 name of `any_genre_asia`. */
export type DirectoryType = 'none' | GenreDirectoryType | 'any_genre_3' | 'custom';

export interface GenreDirectory {
  readonly type: GenreDirectoryType;
  readonly label: string;
  readonly host: string;
  readonly port: number;
  /** The 3.7.0–3.12.2 host name of the same directory. */
  readonly legacyHost: string;
}

export const GENRE_DIRECTORIES: readonly GenreDirectory[] = [
  { type: 'any_genre_1', label: 'Any Genre 1', host: 'anygenre1.jamulus.app', port: 22124, legacyHost: 'anygenre1.jamulus.io' },
  { type: 'any_genre_2', label: 'Any Genre 2', host: 'anygenre2.jamulus.app', port: 22224, legacyHost: 'anygenre2.jamulus.io' },
  { type: 'any_genre_asia', label: 'Any Genre Asia', host: 'asia.jamulus.app', port: 22624, legacyHost: 'anygenre3.jamulus.io' },
  { type: 'genre_rock', label: 'Genre Rock', host: 'rock.jamulus.app', port: 22424, legacyHost: 'rock.jamulus.io' },
  { type: 'genre_jazz', label: 'Genre Jazz', host: 'jazz.jamulus.app', port: 22324, legacyHost: 'jazz.jamulus.io' },
  { type: 'genre_classical_folk', label: 'Genre Classical/Folk', host: 'classical.jamulus.app', port: 22524, legacyHost: 'classical.jamulus.io' },
  { type: 'genre_choral_barbershop', label: 'Genre Choral/Barbershop', host: 'choral.jamulus.app', port: 22724, legacyHost: 'choral.jamulus.io' },
].map((d) => Object.freeze(d as GenreDirectory));

export const DIRECTORY_TYPES: readonly DirectoryType[] = [
  'none',
  ...GENRE_DIRECTORIES.map((d) => d.type),
  'any_genre_3',
  'custom',
];

const byType = new Map<string, GenreDirectory>(GENRE_DIRECTORIES.map((d) => [d.type, d]));

/** Resolves `any_genre_3` to its current name. */
export function genreDirectory(type: string): GenreDirectory | undefined {
  return byType.get(type === 'any_genre_3' ? 'any_genre_asia' : type);
}

export function isGenreDirectoryType(value: string): value is GenreDirectoryType {
  return byType.has(value);
}

/** The `host:port` to register with for a stored directory value (genre key or custom address). */
export function directoryAddress(value: string): string {
  const d = genreDirectory(value);
  return d ? `${d.host}:${d.port}` : value;
}

/**
 * The `directoryType` to report over JSON-RPC for a stored directory value. A custom address
 * that is one of the genre hosts (new or legacy name) reports that genre, as Jamulus does when
 * the address matches its own table.
 */
export function directoryTypeOf(value: string): DirectoryType {
  const d = genreDirectory(value);
  if (d) return d.type;
  const [host, port] = splitHostPortLoose(value);
  const match = GENRE_DIRECTORIES.find(
    (g) => (g.host === host || g.legacyHost === host) && (port === undefined ? g.port === 22124 : g.port === port),
  );
  return match ? match.type : 'custom';
}

function splitHostPortLoose(value: string): [string, number | undefined] {
  const i = value.lastIndexOf(':');
  if (i < 0) return [value.toLowerCase(), undefined];
  return [value.slice(0, i).toLowerCase(), Number(value.slice(i + 1))];
}

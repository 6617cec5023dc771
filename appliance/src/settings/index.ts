// What the services and the admin import: `import { SettingsStore, SETTINGS } from '../settings/index.js'`.
export * from './schema.js';
export * from './validate.js';
export * from './store.js';
export * from './backup.js';
export * from './countries.js';
export * from './instruments.js';
export * from './directories.js';
export { splitHostPort, isDnsName, type FormHint, type Field, type HostPort } from './fields.js';
export { MIX_DEFAULT_ENTRY, MIX_NAME_MAX, type Mix, type MixEntry } from './mix-field.js';
export { LATEST_VERSION, migrate, schemaVersion } from './migrations/index.js';

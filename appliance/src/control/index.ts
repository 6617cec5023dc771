export { JsonRpcServer, type JsonRpcServerOptions, type JsonRpcServerStats, type RpcHandler, type RpcParams, type RpcContext } from './jsonrpc-server.js';
export { JsonRpcClient, ConnectError, type JsonRpcClientOptions } from './jsonrpc-client.js';
export { RpcError, RpcErrorCode } from './rpc-error.js';
export { readSecretFile, createSecretFile, ensureSecretFile, checkSecret, SecretFileError, MIN_SECRET_LENGTH } from './secret.js';

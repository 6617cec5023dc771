// JSON-RPC error codes as Jamulus's API uses them (protocol reference §8.1), and the error
// type handlers throw to answer with one of them.

export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  /** Not used by Jamulus; riffbox answers it when a handler fails unexpectedly. */
  INTERNAL_ERROR: -32603,
  /** Jamulus: a client-side failure such as "Client is not connected". */
  CLIENT_FAILURE: 1,
  AUTHENTICATION_FAILED: 400,
  UNAUTHENTICATED: 401,
} as const;

/** Throw from a handler to answer with this code and message; also what JsonRpcClient.call rejects with. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

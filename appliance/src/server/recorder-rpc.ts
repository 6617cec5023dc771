// The recorder's JSON-RPC methods: Jamulus 3.12's five, with its parameter checks and answers (a change is
// "acknowledged"; its outcome is read back with getRecorderStatus), and riffbox/getRecorderDetails for the admin.
import type { JsonRpcServer } from '../control/jsonrpc-server.js';
import { RpcError, RpcErrorCode } from '../control/rpc-error.js';
import type { ServerRuntime } from './server-runtime.js';

const ACK = 'acknowledged';

export function registerRecorderMethods(rpc: JsonRpcServer, runtime: ServerRuntime): void {
  const recorder = runtime.recorder;

  /** Returns {initialised, errorMessage, enabled, recordingDirectory} (the folder as it was given). */
  rpc.register('jamulusserver/getRecorderStatus', () => recorder.status());

  /** Sets the recordings folder for this run (params.recordingDirectory; '' turns the recorder off). The session being recorded ends first. */
  rpc.register('jamulusserver/setRecordingDirectory', async (p) => {
    const dir = p.recordingDirectory;
    if (typeof dir !== 'string') throw new RpcError(RpcErrorCode.INVALID_PARAMS, 'Invalid params: recordingDirectory is not a string');
    await runtime.setRecordingDirectory(dir);
    return ACK;
  });

  /** Enables recording: a session starts with the first musician heard. */
  rpc.register('jamulusserver/startRecording', async () => {
    await recorder.setEnabled(true);
    return ACK;
  });

  /** Disables recording; the session being recorded is finished (WAV headers, .rpp, .lof). */
  rpc.register('jamulusserver/stopRecording', async () => {
    await recorder.setEnabled(false);
    return ACK;
  });

  /** Ends the session being recorded and goes on in a new session folder. */
  rpc.register('jamulusserver/restartRecording', async () => {
    await recorder.restart();
    return ACK;
  });

  /**
   * riffbox: the status plus the session being recorded (folder, length, bytes, who), the last session and why
   * it ended, why recording stopped by itself (free-space reserve, length limit, a failing disk), ticks the
   * ring dropped, how long the writer has been waiting for the disk, free space and the limits.
   */
  rpc.register('riffbox/getRecorderDetails', () => recorder.details());
}

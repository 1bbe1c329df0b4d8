// The room's channel on the Phoenix socket, and the media-event envelope
// ({"data": JSON string}) of protocol.md section 4.
import { Channel, Socket } from "phoenix";

// Media event payloads are open JSON objects by protocol.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export type MediaEvent = { type: string; data: Json };

export type JoinParams = { displayName: string; roomType?: string; role?: string };

export class RoomSignaling {
  readonly socket: Socket;
  readonly channel: Channel;

  constructor(room: string, params: JoinParams) {
    this.socket = new Socket("/socket", { heartbeatIntervalMs: 30000 });
    this.socket.connect();
    this.channel = this.socket.channel(`room:${room}`, params);
  }

  onMediaEvent(handler: (ev: MediaEvent) => void): void {
    this.channel.on("mediaEvent", (payload: { data: string }) => {
      let ev: MediaEvent;
      try {
        ev = JSON.parse(payload.data) as MediaEvent;
      } catch (e) {
        console.error("bad media event", e);
        return;
      }
      // A bug in one handler must not stop the next events from being handled.
      try {
        handler(ev);
      } catch (e) {
        console.error(`media event ${ev.type}`, e);
      }
    });
  }

  sendMediaEvent(type: string, data: Json = {}): void {
    this.channel.push("mediaEvent", { data: JSON.stringify({ type, data }) });
  }

  // A room request (raiseHand, answerHand, kick): resolves on ok, rejects with the reason.
  request(event: string, payload: Json = {}): Promise<Json> {
    return new Promise((resolve, reject) => {
      this.channel
        .push(event, payload)
        .receive("ok", resolve)
        .receive("error", (e: Json) => reject(new Error(e?.reason ?? "error")))
        .receive("timeout", () => reject(new Error("timeout")));
    });
  }

  // Leaves the channel and closes the socket; resolves once the server answered
  // (or after a second), so a page navigation right after does not cut the leave.
  leave(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.disconnect();
        resolve();
      };
      this.channel.leave(1000).receive("ok", done).receive("timeout", done);
    });
  }
}

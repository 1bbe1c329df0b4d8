// The room's channel on the Phoenix socket, typed by protocol.ts: the join, the
// room requests, the server's pushes and the media events (protocol.md §1-4).
import { Channel, Socket } from "phoenix";
import {
  ClientMediaEvents,
  decodeMediaEvent,
  encodeMediaEvent,
  JoinParams,
  JoinReply,
  reasonOf,
  RoomRequest,
  RoomRequests,
  ServerMediaEvent,
  ServerPush,
  ServerPushes,
} from "./protocol";

export type JoinHandlers = {
  ok: (reply: JoinReply) => void;
  error: (reason: string) => void; // a JoinErrorReason, or "error" when none was given
};

export class RoomSignaling {
  readonly socket: Socket;
  readonly channel: Channel;

  constructor(room: string, params: JoinParams) {
    this.socket = new Socket("/socket", { heartbeatIntervalMs: 30000 });
    this.socket.connect();
    this.channel = this.socket.channel(`room:${room}`, params);
  }

  // Joins the channel; phoenix rejoins by itself after a drop, calling `ok` again.
  join(on: JoinHandlers): void {
    this.channel
      .join()
      .receive("ok", (reply: JoinReply) => on.ok(reply))
      .receive("error", (e: unknown) => on.error(reasonOf(e)));
  }

  onPush<E extends ServerPush>(event: E, handler: (payload: ServerPushes[E]) => void): void {
    this.channel.on(event, (payload: ServerPushes[E]) => handler(payload));
  }

  onMediaEvent(handler: (ev: ServerMediaEvent) => void): void {
    this.channel.on("mediaEvent", (payload: unknown) => {
      let ev: ServerMediaEvent | null;
      try {
        ev = decodeMediaEvent(payload);
      } catch (e) {
        console.error("bad media event", e);
        return;
      }
      if (!ev) return; // a type this client does not know
      // A bug in one handler must not stop the next events from being handled.
      try {
        handler(ev);
      } catch (e) {
        console.error(`media event ${ev.type}`, e);
      }
    });
  }

  sendMediaEvent<T extends keyof ClientMediaEvents>(type: T, data: ClientMediaEvents[T]): void {
    this.channel.push("mediaEvent", encodeMediaEvent(type, data));
  }

  // A room request: resolves with the ok response, rejects with the reason.
  request<R extends RoomRequest>(event: R, payload: RoomRequests[R]["payload"]): Promise<RoomRequests[R]["reply"]> {
    return new Promise((resolve, reject) => {
      this.channel
        .push(event, payload)
        .receive("ok", (reply: RoomRequests[R]["reply"]) => resolve(reply))
        .receive("error", (e: unknown) => reject(new Error(reasonOf(e))))
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

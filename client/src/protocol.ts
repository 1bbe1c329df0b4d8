// The wire protocol (../shared/protocol.md, sections 1-4) as TypeScript types,
// and the typed codec of the media event envelope. Everything the client sends
// or receives over the Phoenix channel is one of these types; the server's
// counterpart is signaling/protocol/messages.hpp.
//
// Trust: fields the server makes itself (ids, roles, room types, SDP, track
// kinds, reasons) are typed as the server's encoder writes them. What other
// peers put on the wire and the server only carries (peer and track metadata,
// relay payloads) is `unknown` and must be narrowed before use.

// ---- Basic values -----------------------------------------------------------

export type PeerId = string;
export type TrackId = string; // made by the server, unique in the room
export type Mid = string; // an SDP media section's a=mid

export type RoomType = "group" | "audio" | "broadcast" | "call";
export type Role = "publisher" | "viewer";
export type TrackKind = "audio" | "video";
export type PcKind = "publish" | "subscribe";

// An empty payload or reply ({}).
export type Empty = Record<string, never>;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// ---- Section 1: Phoenix Channels v2 frames ----------------------------------
// The `phoenix` npm client reads and writes these; they are here for reference.

// [join_ref, ref, topic, event, payload]
export type PhoenixFrame = [joinRef: string | null, ref: string | null, topic: string, event: string, payload: object];

// The payload of a `phx_reply`.
export type PhxReply<Ok, Reason extends string = string> =
  | { status: "ok"; response: Ok }
  | { status: "error"; response: ErrorResponse<Reason> };

export type ErrorResponse<Reason extends string = string> = { reason: Reason };

// Reasons of a reply to a frame the server could not use.
export type FrameErrorReason = "bad_frame" | "unmatched topic";

// The `response.reason` of an error reply, or "error" when there is none
// (phoenix hands replies over untyped).
export function reasonOf(response: unknown): string {
  return isObject(response) && typeof response.reason === "string" ? response.reason : "error";
}

// ---- Section 2: rooms (phx_join on topic room:ROOM) --------------------------

// `token`: a signed join token (protocol.md §6), required when the server has
// auth.secret; its `name` claim then replaces displayName.
export type JoinParams = { displayName: string; roomType?: RoomType; role?: Role; token?: string };

// The `name` claim of a join token, read without verifying (the server does):
// only to show the name the server will use.
export function tokenName(token: string): string | undefined {
  try {
    const b64 = (token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isObject(claims) && typeof claims.name === "string" ? claims.name : undefined;
  } catch {
    return undefined;
  }
}

// A chat message as every member gets it (protocol.md §6); `at`: the server's
// time (ms since the epoch, or an ISO text: both are shown). `name` and `text`
// were typed by people: shown as text only.
export type ChatMessage = { from: PeerId; name: string; text: string; at: number | string };
export type RecordingState = { active: boolean; by: PeerId | null };

// `response` of the `ok` reply to phx_join. `chat` (the last 50 messages) and
// `recording` are absent on older servers.
export type JoinReply = {
  peerId: PeerId;
  role: Role;
  roomType: RoomType;
  ownerId: PeerId | null;
  chat?: ChatMessage[];
  recording?: RecordingState;
};

export type JoinErrorReason =
  | "invalid_room"
  | "invalid_params"
  | "room_full"
  | "room_type_mismatch"
  | "unauthorized"
  | "unavailable"
  | "rate_limited";

// ---- Section 3: room requests, their replies, and the server's pushes --------

export type RequestErrorReason = "forbidden" | "not_found" | "invalid_params" | "room_full" | "rate_limited" | "unavailable";

// Channel event → its payload and the `response` of its `ok` reply.
export type RoomRequests = {
  raiseHand: { payload: Empty; reply: Empty };
  answerHand: { payload: { peerId: PeerId; accept: boolean }; reply: Empty };
  kick: { payload: { peerId: PeerId }; reply: Empty };
  chat: { payload: { text: string }; reply: Empty };
  recordStart: { payload: Empty; reply: Empty };
  recordStop: { payload: Empty; reply: Empty };
};
export type RoomRequest = keyof RoomRequests;

// Channel event → payload of the server's pushes on the room topic.
export type ServerPushes = {
  ownerChanged: { ownerId: PeerId | null };
  roleChanged: { peerId: PeerId; role: Role };
  handRaised: { peerId: PeerId; displayName: string };
  handAnswered: { accept: boolean };
  kicked: { by: PeerId };
  chat: ChatMessage;
  recordingChanged: RecordingState;
};
export type ServerPush = keyof ServerPushes;

// ---- Section 4: media events (channel event `mediaEvent`) --------------------

// Payload in both directions: {"data": JSON text of {"type", "data"}}.
export type MediaEventPayload = { data: string };

// PEER and its tracks.
export type Track = { kind: TrackKind; metadata: unknown };
export type Tracks = Record<TrackId, Track>;
export type Peer = { id: PeerId; metadata: unknown; role: Role; tracks: Tracks };

// What this client puts in its own peer metadata.
export type PeerMetadata = { displayName: string };

// The displayName of a peer's metadata (set by that peer: untrusted).
export function displayNameOf(metadata: unknown): string | undefined {
  return isObject(metadata) && typeof metadata.displayName === "string" ? metadata.displayName : undefined;
}

// What this client puts in its own track metadata (protocol.md §6); others'
// is read with trackMetaOf.
export type TrackType = "camera" | "screen" | "microphone";
export type TrackMetadata = { type: TrackType; muted?: boolean };

// The type and muted state of a track's metadata (set by its peer: untrusted).
export function trackMetaOf(metadata: unknown): { type?: TrackType; muted: boolean } {
  if (!isObject(metadata)) return { muted: false };
  const t = metadata.type;
  const type = t === "camera" || t === "screen" || t === "microphone" ? t : undefined;
  return { type, muted: metadata.muted === true };
}

// Both directions; sdpMid is always null from the server.
export type Candidate = { pc: PcKind; candidate: string; sdpMLineIndex: number; sdpMid: string | null };

export type IceServer = { urls: string; username?: string; credential?: string };

// Client to server: type → data.
export type ClientMediaEvents = {
  join: { metadata: PeerMetadata };
  leave: Empty;
  updatePeerMetadata: { metadata: object };
  publishOffer: { sdp: string; trackMetadata: Record<Mid, TrackMetadata> };
  updateTrackMetadata: { trackId: TrackId; trackMetadata: TrackMetadata };
  subscribeAnswer: { sdp: string };
  candidate: Candidate;
  relay: { to: PeerId; payload: object }; // call rooms only
  setTargetTrackVariant: { trackId: TrackId; variant: "h" | "m" | "l" }; // simulcast, protocol.md §6
};

// Simulcast notices (protocol.md §6): trackVariantSwitched, and
// trackVariantEnabled / trackVariantDisabled.
export type TrackVariant = { peerId: PeerId; trackId: TrackId; variant: "h" | "m" | "l" };

export type PeerAccepted = {
  id: PeerId;
  role: Role;
  roomType: RoomType;
  ownerId: PeerId | null;
  peersInRoom: Peer[];
  iceServers: IceServer[];
  hlsUrl?: string; // broadcast rooms
  simulcast?: boolean; // the server takes simulcast cameras (rooms.simulcast, group rooms)
};
export type PeerDenied = { reason: string };
export type PeerJoined = { peer: Peer };
export type PeerLeft = { peerId: PeerId };
export type PeerUpdated = { peerId: PeerId; metadata: unknown };
export type TracksAdded = { peerId: PeerId; tracks: Tracks };
export type TracksRemoved = { peerId: PeerId; trackIds: TrackId[] };
export type PublishAnswer = { sdp: string; midToTrackId: Record<Mid, TrackId> };
export type SubscribeOffer = { sdp: string; midToTrackId: Record<Mid, TrackId> };
export type VadNotification = { trackId: TrackId; status: "speech" | "silence" };
export type TrackUpdated = { peerId: PeerId; trackId: TrackId; metadata: unknown };
export type Relay = { from: PeerId; payload: unknown }; // made by the other peer
export type MediaError = { reason: string; message: string };

// Server to client: type → data.
export type ServerMediaEvents = {
  peerAccepted: PeerAccepted;
  peerDenied: PeerDenied;
  peerJoined: PeerJoined;
  peerLeft: PeerLeft;
  peerUpdated: PeerUpdated;
  tracksAdded: TracksAdded;
  tracksRemoved: TracksRemoved;
  publishAnswer: PublishAnswer;
  subscribeOffer: SubscribeOffer;
  candidate: Candidate;
  vadNotification: VadNotification;
  trackVariantSwitched: TrackVariant;
  trackVariantEnabled: TrackVariant;
  trackVariantDisabled: TrackVariant;
  trackUpdated: TrackUpdated;
  relay: Relay;
  error: MediaError;
};

// The discriminated unions on `type`:
//   ServerMediaEvent = {type: "peerAccepted", data: PeerAccepted} | {type: "peerDenied", ...} | ...
// (the type parameter narrows it to some types; see dispatchMediaEvent).
export type ClientMediaEvent<K extends keyof ClientMediaEvents = keyof ClientMediaEvents> = {
  [T in K]: { type: T; data: ClientMediaEvents[T] };
}[K];
export type ServerMediaEvent<K extends keyof ServerMediaEvents = keyof ServerMediaEvents> = {
  [T in K]: { type: T; data: ServerMediaEvents[T] };
}[K];

// One handler per server media event.
export type ServerMediaHandlers = { [T in keyof ServerMediaEvents]: (data: ServerMediaEvents[T]) => void };

export function dispatchMediaEvent<K extends keyof ServerMediaEvents>(
  handlers: ServerMediaHandlers,
  ev: ServerMediaEvent<K>,
): void {
  handlers[ev.type](ev.data);
}

// Every server media event type, for decoding.
const SERVER_MEDIA_TYPES: Record<keyof ServerMediaEvents, true> = {
  peerAccepted: true,
  peerDenied: true,
  peerJoined: true,
  peerLeft: true,
  peerUpdated: true,
  tracksAdded: true,
  tracksRemoved: true,
  publishAnswer: true,
  subscribeOffer: true,
  candidate: true,
  vadNotification: true,
  trackVariantSwitched: true,
  trackVariantEnabled: true,
  trackVariantDisabled: true,
  trackUpdated: true,
  relay: true,
  error: true,
};

const isServerMediaType = (t: string): t is keyof ServerMediaEvents =>
  Object.prototype.hasOwnProperty.call(SERVER_MEDIA_TYPES, t);

export function encodeMediaEvent<T extends keyof ClientMediaEvents>(type: T, data: ClientMediaEvents[T]): MediaEventPayload {
  return { data: JSON.stringify({ type, data }) };
}

// The payload of a `mediaEvent` push, checked down to its type and data
// object (the data's fields are as the server's encoder writes them).
// Throws on a malformed envelope; null for a type this client does not know.
export function decodeMediaEvent(payload: unknown): ServerMediaEvent | null {
  if (!isObject(payload) || typeof payload.data !== "string") throw new Error("media event payload is not {data: string}");
  const inner: unknown = JSON.parse(payload.data);
  if (!isObject(inner) || typeof inner.type !== "string" || !isObject(inner.data))
    throw new Error("media event is not {type: string, data: object}");
  if (!isServerMediaType(inner.type)) return null;
  return { type: inner.type, data: inner.data } as ServerMediaEvent;
}

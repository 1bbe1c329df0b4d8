// The room page: joins at once, publishes camera and microphone when allowed,
// shows everyone's media, and offers the owner's and viewers' controls.
import { DirectCall } from "./call";
import { MediaSession } from "./media";
import { Json, RoomSignaling } from "./signaling";
import { RoomUi } from "./ui";

const room = decodeURIComponent(location.pathname.split("/")[2] ?? "");
const query = new URLSearchParams(location.search);
const displayName = query.get("display_name") || "guest";
const ui = new RoomUi(room);

const JOIN_ERRORS: Record<string, string> = {
  room_full: "This room is full.",
  room_type_mismatch: "This room exists with another type.",
  invalid_room: "That is not a valid room name.",
  invalid_params: "Your name must be 1 to 64 characters.",
  unauthorized: "You may not join this room.",
  unavailable: "The room is not available right now; try again.",
};

type Peer = { id: string; displayName: string; role: string };

const state = {
  state: "joining" as string,
  peerId: null as string | null,
  role: null as string | null,
  roomType: null as string | null,
  ownerId: null as string | null,
  error: null as string | null,
  peers: new Map<string, Peer>(),
  trackOwner: new Map<string, string>(),  // track id → peer id
};

let local: MediaStream | null = null;
let media: MediaSession | null = null;
let call: DirectCall | null = null;
let iceServers: RTCIceServer[] = [];

const params: { displayName: string; roomType?: string; role?: string } = { displayName };
if (query.get("type")) params.roomType = query.get("type")!;
if (query.get("role")) params.role = query.get("role")!;
const sig = new RoomSignaling(room, params);

// Test hook for end-to-end tests (read by Playwright).
(window as Json).videoroom = {
  get state() { return state.state; },
  get peerId() { return state.peerId; },
  get role() { return state.role; },
  get ownerId() { return state.ownerId; },
  get error() { return state.error; },
  peers: () => [...state.peers.values()],
  stats: async () => {
    const s = (await media?.stats()) ?? { inbound: [], outbound: [] };
    return { ...s, inbound: s.inbound.map((i) => ({ ...i, peerId: state.trackOwner.get(i.trackId) ?? null })) };
  },
};

function canKick(target: Peer): boolean {
  if (state.role !== "publisher" || target.id === state.peerId) return false;
  if (state.roomType === "group" || state.roomType === "audio") return true;
  return state.roomType === "broadcast" && target.role === "viewer";
}

function showPeer(p: Peer): void {
  state.peers.set(p.id, p);
  ui.tile(p.id, p.displayName, false, canKick(p) ? { onKick: () => kick(p.id) } : {});
  ui.setOwner(state.ownerId);
}

function kick(peerId: string): void {
  sig.request("kick", { peerId }).catch((e) => ui.notice(`Kick refused: ${e.message}`));
}

async function getLocalMedia(): Promise<MediaStream | null> {
  const video = state.roomType !== "audio";
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video });
  } catch (e) {
    ui.notice(`Camera or microphone unavailable (${(e as Error).name}): you can watch and listen, but not be seen or heard.`);
    return null;
  }
}

async function startPublishing(): Promise<void> {
  local ??= await getLocalMedia();
  if (!local || !media) return;
  ui.tile(state.peerId!, displayName, true);
  local.getTracks().forEach((t) => ui.addTrack(state.peerId!, t));
  ui.setOwner(state.ownerId);
  await media.publish(local);
}

function onMediaEvent(ev: { type: string; data: Json }): void {
  const d = ev.data;
  switch (ev.type) {
    case "peerAccepted":
      iceServers = d.iceServers ?? [];
      state.ownerId = d.ownerId;
      media = new MediaSession(
        (type, data) => sig.sendMediaEvent(type, data),
        iceServers,
        (trackId, track) => ui.addTrack(state.trackOwner.get(trackId) ?? "", track),
        (msg) => console.warn(msg),
      );
      for (const p of d.peersInRoom as Json[]) {
        for (const t of Object.keys(p.tracks ?? {})) state.trackOwner.set(t, p.id);
        showPeer({ id: p.id, displayName: p.metadata?.displayName ?? "?", role: p.role });
      }
      state.state = "joined";
      ui.status("connected");
      if (state.roomType === "call") void startCall(d.peersInRoom.length === 0);
      else if (state.role === "publisher") void startPublishing();
      else if (d.hlsUrl) ui.notice(`Live broadcast: ${d.hlsUrl}`);
      break;
    case "peerJoined":
      showPeer({ id: d.peer.id, displayName: d.peer.metadata?.displayName ?? "?", role: d.peer.role });
      if (state.roomType === "call" && call === null) void startCall(true, d.peer.id);
      break;
    case "peerLeft":
      state.peers.delete(d.peerId);
      ui.removeTile(d.peerId);
      break;
    case "peerUpdated": {
      const p = state.peers.get(d.peerId);
      if (p) showPeer({ ...p, displayName: d.metadata?.displayName ?? p.displayName });
      break;
    }
    case "tracksAdded":
      for (const t of Object.keys(d.tracks)) state.trackOwner.set(t, d.peerId);
      break;
    case "tracksRemoved":
      for (const t of d.trackIds) state.trackOwner.delete(t);
      break;
    case "publishAnswer":
      media?.onPublishAnswer(d.sdp);
      break;
    case "subscribeOffer":
      media?.onSubscribeOffer(d.sdp, d.midToTrackId);
      break;
    case "candidate":
      media?.onCandidate(d);
      break;
    case "relay":
      call?.onRelay(d.payload);
      break;
    case "error":
      ui.notice(`Server: ${d.message ?? d.reason}`);
      break;
  }
}

async function startCall(caller: boolean, other?: string): Promise<void> {
  local ??= await getLocalMedia();
  if (local) {
    ui.tile(state.peerId!, displayName, true);
    local.getTracks().forEach((t) => ui.addTrack(state.peerId!, t));
  }
  const peer = other ?? [...state.peers.keys()][0];
  if (!peer) return;  // alone: the callee's arrival starts the call
  call = new DirectCall(peer, iceServers, local, (to, payload) => sig.sendMediaEvent("relay", { to, payload }), (t) => ui.addTrack(peer, t));
  if (caller) call.call();
}

function resetMedia(): void {
  media?.close();
  call?.close();
  media = call = null;
  state.peers.clear();
  state.trackOwner.clear();
  ui.clearTiles();
}

sig.onMediaEvent(onMediaEvent);
sig.channel.on("ownerChanged", (p: Json) => {
  state.ownerId = p.ownerId;
  ui.setOwner(state.ownerId);
  for (const peer of state.peers.values()) showPeer(peer);
});
sig.channel.on("roleChanged", (p: Json) => {
  const peer = state.peers.get(p.peerId);
  if (peer) showPeer({ ...peer, role: p.role });
  if (p.peerId === state.peerId) {
    state.role = p.role;
    ui.button("raise-hand").hidden = true;
    if (p.role === "publisher") void startPublishing();
  }
});
sig.channel.on("handRaised", (p: Json) =>
  ui.hand(p.peerId, p.displayName, (accept) =>
    sig.request("answerHand", { peerId: p.peerId, accept }).catch((e) => ui.notice(`Could not answer: ${e.message}`))));
sig.channel.on("handAnswered", (p: Json) => ui.notice(p.accept ? "Your hand was accepted." : "Your hand was declined."));
sig.channel.on("kicked", () => {
  state.state = "kicked";
  resetMedia();
  local?.getTracks().forEach((t) => t.stop());
  ui.status("removed");
  ui.notice("You were removed from the room.");
  sig.socket.disconnect();
});

sig.socket.onError(() => {
  if (state.state === "joined") ui.status("reconnecting…");
});

// The ok hook runs again on every automatic rejoin: start the media session anew.
sig.channel
  .join()
  .receive("ok", (reply: Json) => {
    resetMedia();
    state.peerId = reply.peerId;
    state.role = reply.role;
    state.roomType = reply.roomType;
    state.ownerId = reply.ownerId;
    state.error = null;
    ui.button("raise-hand").hidden = !(reply.role === "viewer" && (reply.roomType === "group" || reply.roomType === "audio"));
    ui.status("joining media…");
    sig.sendMediaEvent("join", { metadata: { displayName } });
  })
  .receive("error", (e: Json) => {
    state.state = "error";
    state.error = e?.reason ?? "error";
    ui.status("not joined");
    ui.notice(JOIN_ERRORS[state.error!] ?? `Could not join: ${state.error}`);
    sig.socket.disconnect();
  });

ui.button("raise-hand").onclick = () =>
  sig.request("raiseHand").then(() => ui.notice("Hand raised; waiting for the owner."), (e) => ui.notice(`Could not raise hand: ${e.message}`));
ui.button("leave").onclick = () => {
  state.state = "left";
  sig.channel.leave();
  resetMedia();
  local?.getTracks().forEach((t) => t.stop());
  location.href = "/";
};
for (const [id, kind, on, off] of [["mute-audio", "audio", "Mute mic", "Unmute mic"], ["mute-video", "video", "Camera off", "Camera on"]] as const) {
  ui.button(id).onclick = () => {
    const tracks = local?.getTracks().filter((t) => t.kind === kind) ?? [];
    const enable = !tracks.some((t) => t.enabled);
    tracks.forEach((t) => (t.enabled = enable));
    ui.button(id).textContent = enable ? on : off;
  };
}

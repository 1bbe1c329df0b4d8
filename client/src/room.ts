// The room page: joins at once, publishes camera and microphone when allowed,
// shows everyone's media, and offers the owner's and viewers' controls.
import { HlsPlayer } from "./broadcast";
import { DirectCall } from "./call";
import { ChatPanel } from "./chat";
import { openCamera, simulcastOptions } from "./local";
import { MediaSession } from "./media";
import { JOIN_ERRORS, REQUEST_ERRORS } from "./messages";
import type {
  Candidate,
  JoinParams,
  MediaError,
  Peer,
  PeerAccepted,
  PeerDenied,
  PeerId,
  PeerJoined,
  PeerLeft,
  PeerUpdated,
  PublishAnswer,
  Relay,
  Role,
  RoomType,
  ServerMediaHandlers,
  SubscribeOffer,
  TrackId,
  TrackKind,
  Tracks,
  TracksAdded,
  TrackType,
  TrackUpdated,
  TracksRemoved,
  TrackVariant,
  VadNotification,
} from "./protocol";
import { dispatchMediaEvent, displayNameOf, tokenName, trackMetaOf } from "./protocol";
import { runLobby } from "./lobby";
import { setupMeeting } from "./meeting";
import { canRecord, RecordingUi } from "./recording";
import { canKick, canRaiseHand } from "./rules";
import { ScreenShare } from "./screen";
import { screenTileId, Stage } from "./speaker";
import { RoomSignaling } from "./signaling";
import { RoomUi } from "./ui";

const room = decodeURIComponent(location.pathname.split("/")[2] ?? "");
const query = new URLSearchParams(location.search);
// `&token=JWT`: the signed join token (auth.secret); its name is the one the server uses.
const token = query.get("token") ?? undefined;
// Without `display_name` the lobby (lobby.ts) asks for it before anything is sent.
const needsLobby = !query.has("display_name");
let displayName = (token && tokenName(token)) || (query.get("display_name") ?? "").trim() || "guest";
// `&relay=1`: every RTCPeerConnection uses TURN relay candidates only (protocol.md §6).
const iceTransportPolicy: RTCIceTransportPolicy = query.get("relay") === "1" ? "relay" : "all";
const ui = new RoomUi(room);

// What the page knows of another peer.
type RoomPeer = { id: PeerId; displayName: string; role: Role };
type State = "joining" | "joined" | "error" | "kicked" | "left";

const state = {
  state: "joining" as State,
  peerId: null as PeerId | null,
  role: null as Role | null,
  roomType: null as RoomType | null,
  ownerId: null as PeerId | null,
  error: null as string | null,
  everJoined: false,
  peers: new Map<PeerId, RoomPeer>(),
  trackOwner: new Map<TrackId, PeerId>(), // track id → peer id (our own tracks too)
  // Other peers' tracks: kind and what their metadata says (type, muted).
  trackMeta: new Map<TrackId, { kind: TrackKind; type?: TrackType; muted: boolean }>(),
  variants: new Map<TrackId, string>(), // simulcast layer received, by remote track
  variantSwitches: 0,
  // trackVariantDisabled / trackVariantEnabled as they came (tests read them).
  variantNotices: [] as { trackId: TrackId; variant: string; enabled: boolean }[],
};

// Per media session (one per channel join); `epoch` lets async work started by
// an old session notice that a rejoin replaced it.
let epoch = 0;
let media: MediaSession | null = null;
let call: { peer: string; ready: Promise<DirectCall | null>; pc?: DirectCall } | null = null;
let hls: HlsPlayer | null = null;
let iceServers: RTCIceServer[] = [];

// The camera and microphone are asked for once per page and kept across rejoins.
let localPromise: Promise<MediaStream | null> | null = null;

// `type` and `role` go to the server unchecked, as typed in the URL: the server
// answers a join with an unknown one with invalid_params.
const params: JoinParams = { displayName };
if (query.get("type")) params.roomType = query.get("type") as RoomType;
if (query.get("role")) params.role = query.get("role") as Role;
if (token) params.token = token;
const sig = new RoomSignaling(room, params);

// Test hook for end-to-end tests (read by Playwright).
const testHook = {
  get state() { return state.state; },
  get peerId() { return state.peerId; },
  get role() { return state.role; },
  get roomType() { return state.roomType; },
  get ownerId() { return state.ownerId; },
  get error() { return state.error; },
  peers: () => [...state.peers.values()].map((p) => ({ ...p })),
  // Simulcast: trackId → the layer received (trackVariantSwitched), how many
  // switches were announced, and asking for another layer.
  variants: () => Object.fromEntries(state.variants),
  get variantSwitches() { return state.variantSwitches; },
  variantNotices: () => state.variantNotices.map((n) => ({ ...n })),
  setTargetVariant: (trackId: string, variant: "h" | "m" | "l") =>
    sig.sendMediaEvent("setTargetTrackVariant", { trackId, variant }),
  // Candidate types of the selected pair of each SFU connection, e.g.
  // [{ pc: "publish", local: "relay", remote: "host" }].
  icePaths: async () => (await media?.icePaths()) ?? [],
  stats: async () => {
    const parts = await Promise.all([media?.stats(), call?.pc?.stats()]);
    const inbound = parts.flatMap((s) => s?.inbound ?? []);
    const outbound = parts.flatMap((s) => s?.outbound ?? []);
    return {
      inbound: inbound.map((i) => ({
        ...i,
        type: state.trackMeta.get(i.trackId)?.type ?? null,
        peerId: i.trackId.startsWith("call:") ? call?.peer ?? null : state.trackOwner.get(i.trackId) ?? null,
      })),
      outbound,
    };
  },
};
(window as Window & { videoroom?: unknown }).videoroom = testHook;

const isSelf = (id: string) => id === state.peerId;
const peerFrom = (p: Peer): RoomPeer => ({ id: p.id, displayName: displayNameOf(p.metadata) ?? "?", role: p.role });

const mayKick = (target: RoomPeer) => canKick(state.roomType, { id: state.peerId, role: state.role }, target);

function showPeer(p: RoomPeer): void {
  state.peers.set(p.id, p);
  const fresh = !ui.hasTile(p.id);
  ui.tile(p.id, p.displayName, { viewer: p.role === "viewer", onKick: mayKick(p) ? () => kick(p) : undefined });
  if (fresh && state.roomType === "audio") ui.placeholder(p.id, "🎙 audio only");
  ui.setOwner(state.ownerId);
}

function showSelf(): void {
  if (!state.peerId) return;
  ui.tile(state.peerId, displayName, { self: true, viewer: state.role === "viewer" });
  ui.setOwner(state.ownerId);
}

function refreshPeers(): void {
  for (const p of state.peers.values()) showPeer(p);
  showSelf();
}

// Other peers' tracks as the server lists them (peersInRoom, peerJoined,
// tracksAdded): who owns them, what they are, whether muted.
function noteTracks(peerId: PeerId, tracks: Tracks | undefined): void {
  for (const [id, t] of Object.entries(tracks ?? {})) noteTrack(peerId, id, t.kind, t.metadata);
}

function noteTrack(peerId: PeerId, trackId: TrackId, kind: TrackKind, metadata: unknown): void {
  state.trackOwner.set(trackId, peerId);
  if (isSelf(peerId)) return;
  const meta = { kind, ...trackMetaOf(metadata) };
  state.trackMeta.set(trackId, meta);
  if (meta.type !== "screen") ui.muted(peerId, kind, meta.muted);
  // The media may have come first (ontrack before tracksAdded): place it now.
  const track = hls ? undefined : media?.remoteTrack(trackId);
  if (track) placeTrack(peerId, trackId, track);
}

// A remote track goes to its peer's tile, a screen share to a tile of its own.
function placeTrack(peerId: PeerId, trackId: TrackId, track: MediaStreamTrack): void {
  if (state.trackMeta.get(trackId)?.type !== "screen") return ui.addTrack(peerId, track);
  ui.removeTrack(peerId, track);
  showScreen(peerId, trackId, track);
}

// Another peer's screen share: a tile of its own (the stage shows it large).
function showScreen(peerId: PeerId, trackId: TrackId, track: MediaStreamTrack): void {
  const name = state.peers.get(peerId)?.displayName ?? "?";
  ui.tile(screenTileId(trackId), `${name}'s screen`, { screen: true });
  ui.addTrack(screenTileId(trackId), track);
}

function kick(p: RoomPeer): void {
  sig.request("kick", { peerId: p.id }).then(
    () => ui.toast(`${p.displayName} was removed.`),
    (e: Error) => ui.toast(`Could not remove ${p.displayName}: ${REQUEST_ERRORS[e.message] ?? e.message}`),
  );
}

function localMedia(): Promise<MediaStream | null> {
  localPromise ??= openCamera(state.roomType !== "audio", ui);
  // The lobby opened the camera before the room type was known: audio rooms send none.
  if (state.roomType === "audio")
    localPromise = localPromise.then((s) => {
      s?.getVideoTracks().forEach((t) => (t.stop(), s.removeTrack(t)));
      return s;
    });
  return localPromise;
}

function showLocalTracks(stream: MediaStream | null): void {
  if (!state.peerId) return;
  if (!stream) {
    ui.placeholder(state.peerId, "camera and microphone unavailable");
    return;
  }
  stream.getTracks().forEach((t) => ui.addTrack(state.peerId!, t));
  if (stream.getVideoTracks().length === 0) ui.placeholder(state.peerId, "🎙 audio only");
  for (const [id, kind] of [["mute-audio", "audio"], ["mute-video", "video"]] as const)
    ui.button(id).disabled = !stream.getTracks().some((t) => t.kind === kind);
  // "Join muted" from the lobby: the tracks come disabled.
  for (const kind of ["audio", "video"] as const) {
    const tracks = stream.getTracks().filter((t) => t.kind === kind);
    if (tracks.length > 0) showMuted(kind, !tracks.some((t) => t.enabled));
  }
}

// Puts a newly chosen camera or microphone in place of the old one: the publish
// connection's sender (replaceTrack, no renegotiation), the call's, and the own tile.
async function replaceLocalTrack(fresh: MediaStreamTrack): Promise<void> {
  const stream = await localPromise;
  if (!stream) {
    fresh.stop();
    return;
  }
  const old = stream.getTracks().find((t) => t.kind === fresh.kind);
  fresh.enabled = old?.enabled ?? true;
  await media?.replaceTrack(fresh);
  await call?.pc?.replaceTrack(fresh);
  if (old) {
    stream.removeTrack(old);
    old.stop();
    if (state.peerId) ui.removeTrack(state.peerId, old);
  }
  stream.addTrack(fresh);
  if (state.peerId) ui.addTrack(state.peerId, fresh);
  if (fresh.kind === "video" && !fresh.enabled && state.peerId) ui.showVideo(state.peerId, false);
}

async function startPublishing(): Promise<void> {
  const mine = epoch;
  showSelf();
  if (!localPromise) ui.placeholder(state.peerId!, "starting camera…");
  const stream = await localMedia();
  if (mine !== epoch || !media) return;  // a rejoin replaced this session
  showLocalTracks(stream);
  if (stream) await media.publish(stream);
}

// call rooms: whoever receives `peerJoined` offers; the other answers.
function directCall(peer: string): Promise<DirectCall | null> {
  if (call?.peer === peer) return call.ready;
  call?.pc?.close();
  const mine = epoch;
  const entry: NonNullable<typeof call> = {
    peer,
    ready: localMedia().then((stream) => {
      if (mine !== epoch || call !== entry) return null;
      entry.pc = new DirectCall(peer, iceServers, stream,
        (to, payload) => sig.sendMediaEvent("relay", { to, payload }),
        (t) => ui.addTrack(peer, t), iceTransportPolicy);
      return entry.pc;
    }),
  };
  call = entry;
  return entry.ready;
}

function endCall(): void {
  call?.pc?.close();
  call = null;
}

async function startCall(others: string[]): Promise<void> {
  const mine = epoch;
  showSelf();
  const stream = await localMedia();
  if (mine !== epoch) return;
  showLocalTracks(stream);
  if (others.length > 0) void directCall(others[0]); // the callee waits for the offer
  else ui.placeholder(state.peerId!, "waiting for the other person to join…");
}

// Broadcast viewers watch the publisher's tile through HLS.
function startWatching(hlsUrl: string | undefined): void {
  showSelf();
  const publisher = [...state.peers.values()].find((p) => p.role === "publisher");
  if (!publisher || !hlsUrl) {
    if (publisher) ui.placeholder(publisher.id, "waiting for the broadcast…");
    ui.notice("Waiting for the broadcast to start…");
    return;
  }
  ui.placeholder(publisher.id, "waiting for the broadcast…");
  const video = ui.video(publisher.id);
  if (!video) return;
  hls = new HlsPlayer(video, hlsUrl, (playing) => {
    ui.showVideo(publisher.id, playing);
    ui.notice(playing ? null : "Waiting for the broadcast to start…");
  }, () => (ui.button("enable-sound").hidden = false));
  void hls.start();
}

// Server media events (protocol.md §4): one handler each, dispatched by type.

function onPeerAccepted(d: PeerAccepted): void {
  iceServers = d.iceServers ?? [];
  if (d.ownerId !== undefined) state.ownerId = d.ownerId;
  if (d.role) state.role = d.role;
  if (d.roomType) state.roomType = d.roomType;
  media = new MediaSession(
    (type, data) => sig.sendMediaEvent(type, data),
    iceServers,
    (trackId, track) => {
      const owner = state.trackOwner.get(trackId);
      if (!owner || hls) return;  // an HLS player owns the broadcaster's tile
      placeTrack(owner, trackId, track);
      // Without HLS the server may send the broadcast by WebRTC instead.
      if (state.roomType === "broadcast" && state.role === "viewer") ui.notice(null);
    },
    (msg) => console.warn(msg),
    iceTransportPolicy,
    simulcastOptions(location.search, d.simulcast === true),
  );
  const others = (d.peersInRoom ?? []).filter((p) => !isSelf(p.id));
  for (const p of others) {
    showPeer(peerFrom(p));
    noteTracks(p.id, p.tracks);
  }
  state.state = "joined";
  state.everJoined = true;
  state.error = null;
  ui.status(state.role === "viewer" ? "connected (viewer)" : "connected");
  if (state.roomType === "call") void startCall(others.map((p) => p.id));
  else if (state.role === "publisher") void startPublishing();
  else if (state.roomType === "broadcast") startWatching(d.hlsUrl);
  else showSelf();
}

function onPeerDenied(d: PeerDenied): void {
  fail(d.reason ?? "denied", `The room refused you: ${JOIN_ERRORS[d.reason] ?? d.reason ?? "no reason given"}`);
}

function onPeerJoined(d: PeerJoined): void {
  if (!d.peer || isSelf(d.peer.id)) return;
  showPeer(peerFrom(d.peer));
  noteTracks(d.peer.id, d.peer.tracks);
  if (state.roomType === "call") void directCall(d.peer.id).then((c) => c?.call());
}

function onPeerLeft(d: PeerLeft): void {
  state.peers.delete(d.peerId);
  for (const [t, owner] of state.trackOwner)
    if (owner === d.peerId) {
      state.trackOwner.delete(t);
      state.trackMeta.delete(t);
      ui.removeTile(screenTileId(t));
    }
  ui.removeTile(d.peerId);
  if (call?.peer === d.peerId) {
    endCall();
    if (state.peerId) ui.placeholder(state.peerId, "waiting for the other person to join…");
  }
  if (state.roomType === "broadcast" && state.role === "viewer" && ![...state.peers.values()].some((p) => p.role === "publisher")) {
    hls?.stop();
    hls = null;
    ui.notice("The broadcast has ended.");
  }
}

function onPeerUpdated(d: PeerUpdated): void {
  const p = state.peers.get(d.peerId);
  if (p) showPeer({ ...p, displayName: displayNameOf(d.metadata) ?? p.displayName });
}

function onTracksAdded(d: TracksAdded): void {
  noteTracks(d.peerId, d.tracks);
}

function onTrackUpdated(d: TrackUpdated): void {
  const known = state.trackMeta.get(d.trackId);
  if (known) noteTrack(d.peerId, d.trackId, known.kind, d.metadata);
}

function onTracksRemoved(d: TracksRemoved): void {
  for (const t of d.trackIds ?? []) {
    const owner = state.trackOwner.get(t);
    const track = media?.remoteTrack(t);
    const meta = state.trackMeta.get(t);
    if (meta?.type === "screen") ui.removeTile(screenTileId(t));
    else if (owner && track) ui.removeTrack(owner, track);
    if (owner && meta && meta.type !== "screen") ui.muted(owner, meta.kind, false);
    media?.forgetTrack(t);
    state.trackOwner.delete(t);
    state.trackMeta.delete(t);
  }
}

function onPublishAnswer(d: PublishAnswer): void {
  for (const t of Object.values(d.midToTrackId ?? {})) state.trackOwner.set(t, state.peerId!);
  media?.onPublishAnswer(d.sdp, d.midToTrackId);
}

function onSubscribeOffer(d: SubscribeOffer): void {
  media?.onSubscribeOffer(d.sdp, d.midToTrackId);
}

function onCandidate(d: Candidate): void {
  media?.onCandidate(d);
}

function onRelay(d: Relay): void {
  if (state.roomType === "call" && d.from) void directCall(d.from).then((c) => c?.onRelay(d.payload));
}

function onVadNotification(d: VadNotification): void {
  const owner = state.trackOwner.get(d.trackId);
  if (owner) stage.speaking(owner, d.status === "speech");
}

// The simulcast layer of each remote video this page receives (tests read it).
function onVariantSwitched(d: TrackVariant): void {
  state.variants.set(d.trackId, d.variant);
  state.variantSwitches++;
}

function onMediaError(d: MediaError): void {
  // A refused media event; the session goes on (e.g. media forwarding not available).
  console.warn("media error", d);
  ui.toast(`Server: ${d.message ?? d.reason ?? "error"}`);
}

const mediaHandlers: ServerMediaHandlers = {
  peerAccepted: onPeerAccepted,
  peerDenied: onPeerDenied,
  peerJoined: onPeerJoined,
  peerLeft: onPeerLeft,
  peerUpdated: onPeerUpdated,
  tracksAdded: onTracksAdded,
  tracksRemoved: onTracksRemoved,
  publishAnswer: onPublishAnswer,
  subscribeOffer: onSubscribeOffer,
  candidate: onCandidate,
  relay: onRelay,
  vadNotification: onVadNotification,
  trackVariantSwitched: onVariantSwitched,
  // Layer availability is not shown (yet): the server picks another layer itself.
  trackVariantEnabled: (d) => state.variantNotices.push({ trackId: d.trackId, variant: d.variant, enabled: true }),
  trackVariantDisabled: (d) => state.variantNotices.push({ trackId: d.trackId, variant: d.variant, enabled: false }),
  trackUpdated: onTrackUpdated,
  error: onMediaError,
};

// Closes everything of the current media session (before a rejoin, on leave, kick).
function resetSession(): void {
  epoch++;
  media?.close();
  media = null;
  endCall();
  hls?.stop();
  hls = null;
  state.peers.clear();
  state.trackOwner.clear();
  state.trackMeta.clear();
  screen.forget();
  ui.clearTiles();
  ui.clearHands();
}

function stopLocal(): void {
  void localPromise?.then((s) => s?.getTracks().forEach((t) => t.stop()));
  for (const id of ["mute-audio", "mute-video", "raise-hand", "share-screen", "record"]) ui.button(id).disabled = true;
}

// Not in the room any more (error, kicked): no grid, and Leave just goes home.
function ended(): void {
  document.body.classList.add("ended");
  ui.button("leave").textContent = "Back to start";
}

function fail(reason: string, message: string): void {
  state.state = "error";
  state.error = reason;
  resetSession();
  stopLocal();
  ui.status("not connected", "bad");
  ui.notice(message);
  ended();
  sig.socket.disconnect();  // else phoenix would retry the join forever
}

// Who may use the meeting features changes with the owner and the role.
function allowFeatures(): void {
  recording.allow(canRecord(state.roomType, isSelf(state.ownerId ?? "")));
  screen.allow(state.roomType === "group" && state.role === "publisher");
}

sig.onMediaEvent((ev) => dispatchMediaEvent(mediaHandlers, ev));
sig.onPush("chat", (m) => chat.add(m));
sig.onPush("recordingChanged", (r) => recording.set(r));
sig.onPush("ownerChanged", (p) => {
  state.ownerId = p.ownerId ?? null;
  ui.setOwner(state.ownerId);
  allowFeatures();
  if (isSelf(state.ownerId ?? "")) ui.toast("You are now the owner of this room.");
});
sig.onPush("roleChanged", (p) => {
  if (isSelf(p.peerId)) {
    state.role = p.role;
    allowFeatures();
    ui.button("raise-hand").hidden = !canRaiseHand(state.roomType, p.role);
    refreshPeers(); // own kick rights changed
    if (p.role === "publisher") {
      ui.status("connected");
      ui.toast("You can now speak: publishing your camera and microphone.");
      void startPublishing();
    }
    return;
  }
  const peer = state.peers.get(p.peerId);
  if (peer) showPeer({ ...peer, role: p.role });
});
sig.onPush("handRaised", (p) =>
  ui.hand(p.peerId, p.displayName ?? state.peers.get(p.peerId)?.displayName ?? "?", (accept) =>
    sig.request("answerHand", { peerId: p.peerId, accept })
      .catch((e: Error) => ui.toast(`Could not answer: ${REQUEST_ERRORS[e.message] ?? e.message}`))));
sig.onPush("handAnswered", (p) => {
  ui.button("raise-hand").disabled = false;
  ui.toast(p.accept ? "The owner accepted your raised hand." : "The owner declined your raised hand.");
});
sig.onPush("kicked", (p) => {
  state.state = "kicked";
  resetSession();
  stopLocal();
  ui.status("removed", "bad");
  const by = p?.by ? state.peers.get(p.by)?.displayName : undefined;
  ui.notice(by ? `You were removed from the room by ${by}.` : "You were removed from the room.");
  ended();
  sig.socket.disconnect();
});

// Connection drops: phoenix reconnects the socket and rejoins the channel by itself.
const lost = () => {
  if (state.state !== "joined") return;
  ui.status("reconnecting…", "warn");
  ui.reconnecting(true);
};
sig.socket.onError(lost);
sig.socket.onClose(lost);
sig.channel.onError(lost);

// The ok hook runs again on every automatic rejoin: start the media session anew
// (the server forgot the old peer, so the old connections are useless).
function joinRoom(): void {
sig.join({
  ok: (reply) => {
    ui.reconnecting(false);
    resetSession();
    state.peerId = reply.peerId;
    state.role = reply.role;
    state.roomType = reply.roomType;
    state.ownerId = reply.ownerId ?? null;
    state.error = null;
    ui.roomType(reply.roomType);
    ui.button("raise-hand").hidden = !canRaiseHand(reply.roomType, reply.role);
    ui.button("raise-hand").disabled = false;
    chat.show(reply.chat ?? []);
    recording.set(reply.recording);
    allowFeatures();
    ui.status("joining media…");
    sig.sendMediaEvent("join", { metadata: { displayName } });
  },
  error: (reason) => {
    // After a drop, `unavailable` is temporary: let phoenix keep retrying.
    if (state.everJoined && reason === "unavailable") {
      ui.status("reconnecting…", "warn");
      return;
    }
    ui.reconnecting(false);
    fail(reason, JOIN_ERRORS[reason] ?? `Could not join the room: ${reason}`);
  },
});
}

const requestError = (e: Error) => new Error(REQUEST_ERRORS[e.message] ?? e.message);
const chat = new ChatPanel(
  (text) => sig.request("chat", { text }).then(() => undefined, (e: Error) => Promise.reject(requestError(e))),
  () => state.peerId,
  (t) => ui.toast(t),
);
const recording = new RecordingUi(
  (start) => sig.request(start ? "recordStart" : "recordStop", {}).then(() => undefined, (e: Error) => Promise.reject(requestError(e))),
  (t) => ui.toast(t),
);
const stage = new Stage(ui, () => state.peerId);
// Our own screen share shows as a tile too (a preview of what others see).
const OWN_SCREEN = screenTileId("own");
const screen: ScreenShare = new ScreenShare({
  start: async (track): Promise<void> => {
    if (!media?.publishing) {
      ui.toast("Sharing starts once your camera is published: try again in a moment.");
      return screen.forget();
    }
    ui.tile(OWN_SCREEN, `${displayName}'s screen`, { self: true, screen: true });
    ui.addTrack(OWN_SCREEN, track);
    await media?.addScreen(track);
  },
  stop: async () => {
    ui.removeTile(OWN_SCREEN);
    await media?.removeScreen();
  },
  toast: (t) => ui.toast(t),
});

setupMeeting({
  room,
  localStream: () => localPromise,
  replaceLocalTrack,
  toast: (t) => ui.toast(t),
  inboundStats: async () => (await testHook.stats()).inbound,
  layerOf: (peer) => {
    for (const [trackId, layer] of state.variants)
      if (state.trackOwner.get(trackId) === peer && state.trackMeta.get(trackId)?.type !== "screen") return layer;
    return undefined;
  },
});
if (needsLobby) {
  void runLobby(room, (token && tokenName(token)) || undefined).then((choice) => {
    displayName = choice.name;
    params.displayName = choice.name;
    const stream = choice.stream;
    stream?.getAudioTracks().forEach((t) => (t.enabled = !choice.audioMuted));
    stream?.getVideoTracks().forEach((t) => (t.enabled = !choice.videoMuted));
    localPromise = Promise.resolve(stream);
    if (!stream) ui.notice("Camera and microphone unavailable: you can watch and listen, but others cannot see or hear you.");
    joinRoom();
  });
} else {
  joinRoom();
}

ui.button("raise-hand").onclick = () => {
  ui.button("raise-hand").disabled = true;
  sig.request("raiseHand", {}).then(
    () => ui.toast("Hand raised: waiting for the owner."),
    (e: Error) => {
      ui.button("raise-hand").disabled = false;
      ui.toast(`Could not raise your hand: ${REQUEST_ERRORS[e.message] ?? e.message}`);
    },
  );
};
ui.button("leave").onclick = async () => {
  ui.button("leave").disabled = true;
  if (state.state === "joined" || state.state === "joining") {
    state.state = "left";
    sig.sendMediaEvent("leave", {});
    resetSession();
    stopLocal();
    await sig.leave();
  }
  location.href = "/";
};
const MUTE_BUTTONS = {
  audio: { id: "mute-audio", on: "Mute mic", off: "Unmute mic" },
  video: { id: "mute-video", on: "Camera off", off: "Camera on" },
} as const;

// The mute buttons and the own tile show whether a kind is muted.
function showMuted(kind: "audio" | "video", muted: boolean): void {
  const b = MUTE_BUTTONS[kind];
  ui.button(b.id).textContent = muted ? b.off : b.on;
  ui.button(b.id).setAttribute("aria-pressed", String(muted));
  if (kind === "video" && state.peerId) {
    ui.placeholder(state.peerId, "camera off");
    ui.showVideo(state.peerId, !muted);
  }
}

for (const kind of ["audio", "video"] as const) {
  ui.button(MUTE_BUTTONS[kind].id).onclick = async () => {
    const tracks = (await localPromise)?.getTracks().filter((t) => t.kind === kind) ?? [];
    if (tracks.length === 0) return;
    const enable = !tracks.some((t) => t.enabled);
    tracks.forEach((t) => (t.enabled = enable));  // the own tile and a direct call: black/silence
    showMuted(kind, !enable);
    // To the SFU nothing is sent while muted, and the others see the muted state.
    await media?.setMuted(kind, !enable, tracks[0]);
  };
}

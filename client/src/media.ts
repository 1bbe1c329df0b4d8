// The two one-way peer connections of protocol.md section 4: `publish` (we offer
// and send) and `subscribe` (the server offers and sends every other peer's tracks).
import { CAMERA_ENCODINGS, type SimulcastOptions } from "./local";
import type { Candidate, ClientMediaEvents, Mid, PcKind, TrackId, TrackMetadata, TrackType } from "./protocol";

export type Send = <T extends keyof ClientMediaEvents>(type: T, data: ClientMediaEvents[T]) => void;
export type TrackHandler = (trackId: string, track: MediaStreamTrack) => void;

export type InboundStat = {
  trackId: string;
  kind: string | undefined; // undefined only if a browser names neither kind nor mediaType
  framesDecoded: number;
  packetsReceived: number;
  bytesReceived: number;
  // For the network-quality dot (meeting.ts); absent where a browser has none.
  packetsLost?: number;
  framesPerSecond?: number;
  frameWidth?: number; // of the last decoded frame (simulcast layer in use)
  rtt?: number; // seconds, of the connection's selected candidate pair
};
export type OutboundStat = {
  kind: string | undefined;
  type?: TrackType;
  packetsSent: number;
  bytesSent: number;
  frameWidth?: number; // video: the encoding's current size
  rid?: string; // simulcast: the layer this encoding is
  framesEncoded?: number;
  qualityLimitationReason?: string; // why the browser sends it smaller: cpu, bandwidth
};

// The fields of an RTCStats entry of type inbound-rtp or outbound-rtp that stats() reads.
export type RtpStats = {
  type: string;
  kind?: string;
  mediaType?: string; // older browsers' kind
  mid?: string | number;
  trackIdentifier?: string;
  framesDecoded?: number;
  packetsReceived?: number;
  bytesReceived?: number;
  packetsSent?: number;
  bytesSent?: number;
  packetsLost?: number;
  framesPerSecond?: number;
  frameWidth?: number;
  rid?: string;
  framesEncoded?: number;
  qualityLimitationReason?: string;
  // candidate-pair entries
  nominated?: boolean;
  state?: string;
  currentRoundTripTime?: number;
};

// The ICE candidate pair a connection sends on: the types of its two ends
// ("host" | "srflx" | "prflx" | "relay").
export type IcePath = { pc: "publish" | "subscribe"; local: string; remote: string };

async function selectedPath(pc: RTCPeerConnection): Promise<{ local: string; remote: string } | null> {
  const all = new Map<string, Record<string, unknown>>();
  (await pc.getStats()).forEach((s: Record<string, unknown>) => all.set(s.id as string, s));
  const transport = [...all.values()].find((s) => s.type === "transport" && s.selectedCandidatePairId);
  const pair = transport
    ? all.get(transport.selectedCandidatePairId as string)
    : [...all.values()].find((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded");
  const local = pair && all.get(pair.localCandidateId as string);
  const remote = pair && all.get(pair.remoteCandidateId as string);
  if (!local || !remote) return null;
  return { local: String(local.candidateType), remote: String(remote.candidateType) };
}

export class MediaSession {
  private publishPc?: RTCPeerConnection;
  private subscribePc?: RTCPeerConnection;
  private midToTrack = new Map<string, string>();
  // Browser track id (stats' trackIdentifier) → server track id: Firefox's
  // inbound-rtp stats may lack `mid`, so stats fall back to this.
  private browserToTrack = new Map<string, string>();
  private remoteTracks = new Map<string, MediaStreamTrack>();
  // Offers, answers and candidates apply in order, never interleaved.
  private subscribeChain: Promise<void> = Promise.resolve();
  private publishChain: Promise<void> = Promise.resolve();
  private closed = false;
  // What each published transceiver carries (its track metadata); the mute state
  // lives here too, as the sender then holds no track (replaceTrack(null)).
  private published = new Map<RTCRtpTransceiver, TrackMetadata>();
  // The track a muted camera or microphone sends again on unmute.
  private held = new Map<RTCRtpTransceiver, MediaStreamTrack>();
  private ownTracks = new Map<Mid, TrackId>(); // from the publish answers
  // Renegotiations (screen share) wait for the previous answer: one offer at a time.
  private offerChain: Promise<void> = Promise.resolve();
  private answered: (() => void) | null = null;

  constructor(
    private send: Send,
    private iceServers: RTCIceServer[],
    private onTrack: TrackHandler,
    private onError: (message: string) => void,
    // "relay" (the page's `&relay=1`): only TURN relay candidates, protocol.md §6.
    private iceTransportPolicy: RTCIceTransportPolicy = "all",
    private simulcast: SimulcastOptions = { publish: false, target: null },
  ) {}

  get publishing(): boolean {
    return this.publishPc !== undefined;
  }

  // Publishes every track of `stream` once; later calls do nothing.
  async publish(stream: MediaStream): Promise<void> {
    if (this.publishPc || this.closed) return;
    const pc = new RTCPeerConnection(this.rtcConfig());
    this.publishPc = pc;
    pc.onicecandidate = (e) => this.sendCandidate("publish", e.candidate);
    // With simulcast the camera goes first: webrtcbin 1.22 puts SSRCs it finds
    // in no a=ssrc line (the layers) on m-line 0 (media/README.md, Simulcast).
    const tracks = stream.getTracks();
    if (this.simulcast.publish) tracks.sort((a, b) => Number(b.kind === "video") - Number(a.kind === "video"));
    for (const track of tracks) {
      const init: RTCRtpTransceiverInit = { direction: "sendonly", streams: [stream] };
      if (this.simulcast.publish && track.kind === "video") init.sendEncodings = CAMERA_ENCODINGS;
      const t = pc.addTransceiver(track, init);
      const muted = !track.enabled; // "join muted" from the lobby
      this.published.set(t, { type: track.kind === "video" ? "camera" : "microphone", muted });
      if (muted) {
        this.held.set(t, track);
        await t.sender.replaceTrack(null);
      }
    }
    await this.negotiate();
  }

  // Sends a new publish offer with the metadata of every live transceiver, and
  // waits for its answer.
  private negotiate(): Promise<void> {
    const pc = this.publishPc;
    if (!pc) return Promise.resolve();
    this.offerChain = this.offerChain.then(async () => {
      if (this.closed) return;
      try {
        await pc.setLocalDescription(await pc.createOffer());
      } catch (e) {
        this.onError(`publish offer: ${e}`);
        return;
      }
      if (this.closed) return;
      // MIDs exist only once the local description is set.
      const trackMetadata: Record<Mid, TrackMetadata> = {};
      for (const [t, meta] of this.published)
        if (t.mid !== null && t.direction === "sendonly") trackMetadata[t.mid] = meta;
      const answered = new Promise<void>((resolve) => (this.answered = resolve));
      this.send("publishOffer", { sdp: pc.localDescription!.sdp, trackMetadata });
      await answered;
    });
    return this.offerChain;
  }

  // Publishes a screen share as another video track (a renegotiation). A later
  // share reuses the m-line of the first: the server keeps an m-line's
  // transceiver for the whole connection (webrtcbin cannot recycle a stopped one).
  async addScreen(track: MediaStreamTrack): Promise<void> {
    const pc = this.publishPc;
    if (!pc || this.closed) return;
    const old = this.screenTransceiver();
    if (old) {
      old.direction = "sendonly";
      await old.sender.replaceTrack(track);
    } else {
      const t = pc.addTransceiver(track, { direction: "sendonly", streams: [new MediaStream([track])] });
      this.published.set(t, { type: "screen" });
    }
    await this.negotiate();
  }

  // Stops publishing the screen share: its m-line goes `inactive` in a new offer.
  async removeScreen(): Promise<void> {
    const t = this.screenTransceiver();
    if (!t || t.direction === "inactive" || this.closed) return;
    await t.sender.replaceTrack(null);
    t.direction = "inactive";
    await this.negotiate();
  }

  private screenTransceiver(): RTCRtpTransceiver | undefined {
    return [...this.published].find(([, m]) => m.type === "screen")?.[0];
  }

  // Server track id of our published camera ("video") or microphone ("audio").
  ownTrackId(kind: "audio" | "video"): TrackId | undefined {
    const t = this.transceiverOf(kind);
    return t?.mid != null ? this.ownTracks.get(t.mid) : undefined;
  }

  // Mute that others see: the sender stops sending (replaceTrack(null), no
  // renegotiation) and the track's metadata says muted (updateTrackMetadata).
  async setMuted(kind: "audio" | "video", muted: boolean, track: MediaStreamTrack | undefined): Promise<void> {
    const t = this.transceiverOf(kind);
    const meta = t && this.published.get(t);
    if (!t || !meta) return;
    meta.muted = muted;
    if (muted) {
      const current = t.sender.track ?? track;
      if (current) this.held.set(t, current);
      await t.sender.replaceTrack(null);
    } else {
      const again = track ?? this.held.get(t);
      this.held.delete(t);
      if (again) await t.sender.replaceTrack(again);
    }
    const trackId = this.ownTrackId(kind);
    if (trackId && !this.closed) this.send("updateTrackMetadata", { trackId, trackMetadata: { ...meta } });
  }

  private transceiverOf(kind: "audio" | "video"): RTCRtpTransceiver | undefined {
    const type = kind === "video" ? "camera" : "microphone";
    return [...this.published].find(([, m]) => m.type === type)?.[0];
  }

  // Sends `track` instead of the published track of its kind, on the same
  // sender: no new offer (RTCRtpSender.replaceTrack). False when none is published.
  // A muted kind keeps sending nothing: the new track waits for the unmute.
  async replaceTrack(track: MediaStreamTrack): Promise<boolean> {
    const t = this.transceiverOf(track.kind === "video" ? "video" : "audio");
    if (!t) return false;
    if (this.published.get(t)?.muted) this.held.set(t, track);
    else await t.sender.replaceTrack(track);
    return true;
  }

  onPublishAnswer(sdp: string, midToTrackId: Record<Mid, TrackId> = {}): void {
    const pc = this.publishPc;
    if (!pc) return;
    for (const [mid, id] of Object.entries(midToTrackId)) this.ownTracks.set(mid, id);
    this.publishChain = this.publishChain
      .then(() => pc.setRemoteDescription({ type: "answer", sdp }))
      .catch((e) => this.onError(`publish answer: ${e}`))
      .finally(() => {
        this.answered?.();
        this.answered = null;
      });
  }

  onSubscribeOffer(sdp: string, midToTrackId: Record<Mid, TrackId>): void {
    for (const [mid, track] of Object.entries(midToTrackId ?? {})) this.midToTrack.set(mid, track);
    const pc = this.subscribeConnection();
    this.subscribeChain = this.subscribeChain
      .then(async () => {
        await pc.setRemoteDescription({ type: "offer", sdp });
        this.reusedTracks(pc, midToTrackId ?? {});
        await pc.setLocalDescription(await pc.createAnswer());
        if (!this.closed) this.send("subscribeAnswer", { sdp: pc.localDescription!.sdp });
      })
      .catch((e) => this.onError(`subscribe offer: ${e}`));
  }

  onCandidate(data: Candidate): void {
    const init: RTCIceCandidateInit = { candidate: data.candidate, sdpMLineIndex: data.sdpMLineIndex };
    if (data.sdpMid) init.sdpMid = data.sdpMid;
    // A failed candidate is not fatal: others usually work.
    if (data.pc === "publish" && this.publishPc) {
      const pc = this.publishPc;
      this.publishChain = this.publishChain.then(() => pc.addIceCandidate(init)).catch(() => undefined);
    } else if (data.pc === "subscribe") {
      const pc = this.subscribeConnection();
      this.subscribeChain = this.subscribeChain.then(() => pc.addIceCandidate(init)).catch(() => undefined);
    }
  }

  // The browser track that carries a server track id, once it arrived.
  remoteTrack(trackId: string): MediaStreamTrack | undefined {
    return this.remoteTracks.get(trackId);
  }

  forgetTrack(trackId: string): void {
    const t = this.remoteTracks.get(trackId);
    // The server may reuse the m-line (and so the browser track) for a later track.
    if (t && this.browserToTrack.get(t.id) === trackId) this.browserToTrack.delete(t.id);
    this.remoteTracks.delete(trackId);
  }

  async stats(): Promise<{ inbound: InboundStat[]; outbound: OutboundStat[] }> {
    const inbound: InboundStat[] = [];
    const outbound: OutboundStat[] = [];
    let rtt: number | undefined;
    (await this.subscribePc?.getStats())?.forEach((s: RtpStats) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") rtt = s.currentRoundTripTime;
      if (s.type !== "inbound-rtp") return;
      const trackId =
        (s.mid != null ? this.midToTrack.get(String(s.mid)) : undefined) ??
        (s.trackIdentifier ? this.browserToTrack.get(s.trackIdentifier) : undefined) ??
        `mid:${s.mid ?? "?"}`;
      inbound.push({
        trackId,
        kind: s.kind ?? s.mediaType,
        framesDecoded: s.framesDecoded ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
        packetsLost: s.packetsLost,
        framesPerSecond: s.framesPerSecond,
        frameWidth: s.frameWidth,
      });
    });
    for (const i of inbound) i.rtt = rtt;
    const typeOfMid = new Map([...this.published].map(([t, m]) => [t.mid, m.type]));
    (await this.publishPc?.getStats())?.forEach((s: RtpStats) => {
      if (s.type !== "outbound-rtp") return;
      const type = s.mid != null ? typeOfMid.get(String(s.mid)) : undefined;
      outbound.push({
        kind: s.kind ?? s.mediaType,
        type,
        packetsSent: s.packetsSent ?? 0,
        bytesSent: s.bytesSent ?? 0,
        frameWidth: s.frameWidth,
        rid: s.rid,
        framesEncoded: s.framesEncoded,
        qualityLimitationReason: s.qualityLimitationReason,
      });
    });
    return { inbound, outbound };
  }

  // The candidate types of each connection's selected pair (tests: relay or not).
  async icePaths(): Promise<IcePath[]> {
    const out: IcePath[] = [];
    for (const [pc, conn] of [["publish", this.publishPc], ["subscribe", this.subscribePc]] as const) {
      const path = conn && (await selectedPath(conn));
      if (path) out.push({ pc, ...path });
    }
    return out;
  }

  close(): void {
    this.closed = true;
    this.answered?.();
    this.publishPc?.close();
    this.subscribePc?.close();
    this.publishPc = this.subscribePc = undefined;
  }

  private rtcConfig(): RTCConfiguration {
    return { iceServers: this.iceServers, iceTransportPolicy: this.iceTransportPolicy, bundlePolicy: "max-bundle" };
  }

  private subscribeConnection(): RTCPeerConnection {
    if (this.subscribePc) return this.subscribePc;
    const pc = new RTCPeerConnection(this.rtcConfig());
    pc.onicecandidate = (e) => this.sendCandidate("subscribe", e.candidate);
    pc.ontrack = (e) => {
      const mid = e.transceiver.mid;
      const trackId = mid !== null ? this.midToTrack.get(mid) : undefined;
      if (!trackId) return;
      this.remoteTracks.set(trackId, e.track);
      this.browserToTrack.set(e.track.id, trackId);
      if (e.track.kind === "video" && this.simulcast.target)
        this.send("setTargetTrackVariant", { trackId, variant: this.simulcast.target });
      this.onTrack(trackId, e.track);
    };
    this.subscribePc = pc;
    return pc;
  }

  // The server may put a new track on an m-line the browser already receives
  // on (a screen shared again): no `track` event then, so announce it here.
  private reusedTracks(pc: RTCPeerConnection, midToTrackId: Record<Mid, TrackId>): void {
    for (const [mid, trackId] of Object.entries(midToTrackId)) {
      if (this.remoteTracks.has(trackId)) continue;
      const t = pc.getTransceivers().find((x) => x.mid === mid);
      if (!t) continue;
      this.remoteTracks.set(trackId, t.receiver.track);
      this.browserToTrack.set(t.receiver.track.id, trackId);
      this.onTrack(trackId, t.receiver.track);
    }
  }

  private sendCandidate(pc: PcKind, c: RTCIceCandidate | null): void {
    // A null or empty candidate only marks the end of gathering; the server needs none.
    if (this.closed || !c || !c.candidate) return;
    this.send("candidate", { pc, candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0, sdpMid: c.sdpMid });
  }
}

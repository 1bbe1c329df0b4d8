// call rooms: the two browsers connect directly; their SDP and ICE candidates
// travel through the server inside `relay` media events.
import type { InboundStat, OutboundStat, RtpStats } from "./media";
import { isObject, type PeerId } from "./protocol";

// The relay payloads the two browsers exchange (opaque to the server).
export type CallSignal = { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit };

const SDP_TYPES: readonly string[] = ["offer", "answer", "pranswer", "rollback"] satisfies RTCSdpType[];
const isSdpType = (t: unknown): t is RTCSdpType => typeof t === "string" && SDP_TYPES.includes(t);

// A relay payload comes from the other browser: untrusted until narrowed.
export function parseCallSignal(payload: unknown): CallSignal | null {
  if (!isObject(payload)) return null;
  const { description, candidate } = payload;
  if (isObject(description)) {
    const { type, sdp } = description;
    if (!isSdpType(type)) return null;
    if (sdp !== undefined && typeof sdp !== "string") return null;
    return { description: { type, sdp } };
  }
  if (isObject(candidate)) {
    const { candidate: c, sdpMid, sdpMLineIndex, usernameFragment } = candidate;
    if (c !== undefined && typeof c !== "string") return null;
    if (sdpMid !== undefined && sdpMid !== null && typeof sdpMid !== "string") return null;
    if (sdpMLineIndex !== undefined && sdpMLineIndex !== null && typeof sdpMLineIndex !== "number") return null;
    if (usernameFragment !== undefined && usernameFragment !== null && typeof usernameFragment !== "string") return null;
    return { candidate: { candidate: c, sdpMid, sdpMLineIndex, usernameFragment } };
  }
  return null;
}

export class DirectCall {
  private pc: RTCPeerConnection;
  // Descriptions and candidates apply in arrival order.
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly other: PeerId,
    iceServers: RTCIceServer[],
    private local: MediaStream | null,
    private relay: (to: PeerId, payload: CallSignal) => void,
    onTrack: (track: MediaStreamTrack) => void,
    iceTransportPolicy: RTCIceTransportPolicy = "all",  // "relay": the page's `&relay=1`
  ) {
    this.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy });
    this.pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) this.relay(other, { candidate: e.candidate.toJSON() });
    };
    this.pc.ontrack = (e) => onTrack(e.track);
  }

  // The caller (the peer that was in the room first) makes the offer.
  call(): void {
    this.chain = this.chain
      .then(async () => {
        // Without a camera or microphone we still want to receive both kinds.
        for (const kind of ["audio", "video"]) {
          const track = this.local?.getTracks().find((t) => t.kind === kind);
          if (track) this.pc.addTransceiver(track, { direction: "sendrecv", streams: [this.local!] });
          else this.pc.addTransceiver(kind, { direction: "recvonly" });
        }
        await this.pc.setLocalDescription(await this.pc.createOffer());
        this.relay(this.other, { description: this.pc.localDescription!.toJSON() });
      })
      .catch((e) => console.error("call offer", e));
  }

  onRelay(payload: unknown): void {
    const signal = parseCallSignal(payload);
    if (!signal) return;
    this.chain = this.chain
      .then(async () => {
        if ("description" in signal) {
          await this.pc.setRemoteDescription(signal.description);
          if (signal.description.type === "offer") {
            await this.attachLocal();
            await this.pc.setLocalDescription(await this.pc.createAnswer());
            this.relay(this.other, { description: this.pc.localDescription!.toJSON() });
          }
        } else {
          await this.pc.addIceCandidate(signal.candidate).catch(() => undefined);
        }
      })
      .catch((e) => console.error("call relay", e));
  }

  // The callee sends on the transceivers the caller's offer created (tracks
  // added with addTransceiver before would get m-lines of their own, unanswered).
  private async attachLocal(): Promise<void> {
    const used = new Set(this.pc.getSenders().map((s) => s.track).filter((t) => t));
    for (const t of this.pc.getTransceivers()) {
      if (t.sender.track || t.currentDirection === "stopped") continue;
      const track = this.local?.getTracks().find((l) => l.kind === t.receiver.track.kind && !used.has(l));
      if (!track) continue;
      used.add(track);
      await t.sender.replaceTrack(track);
      t.direction = "sendrecv";
    }
  }

  // A new camera or microphone on the sender of its kind (no new offer).
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    const sender = this.pc.getTransceivers()
      .find((t) => t.sender.track?.kind === track.kind || (!t.sender.track && t.receiver.track.kind === track.kind && t.direction === "sendrecv"))?.sender;
    await sender?.replaceTrack(track);
  }

  async stats(): Promise<{ inbound: InboundStat[]; outbound: OutboundStat[] }> {
    const inbound: InboundStat[] = [];
    const outbound: OutboundStat[] = [];
    (await this.pc.getStats()).forEach((s: RtpStats) => {
      const kind = s.kind ?? s.mediaType;
      if (s.type === "inbound-rtp")
        inbound.push({
          trackId: `call:${kind}`,
          kind,
          framesDecoded: s.framesDecoded ?? 0,
          packetsReceived: s.packetsReceived ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
        });
      else if (s.type === "outbound-rtp") outbound.push({ kind, packetsSent: s.packetsSent ?? 0, bytesSent: s.bytesSent ?? 0 });
    });
    return { inbound, outbound };
  }

  close(): void {
    this.pc.close();
  }
}

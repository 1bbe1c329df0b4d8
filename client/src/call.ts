// call rooms: the two browsers connect directly; their SDP and ICE candidates
// travel through the server inside `relay` media events.
import type { InboundStat, OutboundStat } from "./media";
import type { Json } from "./signaling";

export class DirectCall {
  private pc: RTCPeerConnection;
  // Descriptions and candidates apply in arrival order.
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly other: string,
    iceServers: RTCIceServer[],
    private local: MediaStream | null,
    private relay: (to: string, payload: Json) => void,
    onTrack: (track: MediaStreamTrack) => void,
  ) {
    this.pc = new RTCPeerConnection({ iceServers });
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

  onRelay(payload: Json): void {
    this.chain = this.chain
      .then(async () => {
        if (payload?.description) {
          await this.pc.setRemoteDescription(payload.description);
          if (payload.description.type === "offer") {
            await this.attachLocal();
            await this.pc.setLocalDescription(await this.pc.createAnswer());
            this.relay(this.other, { description: this.pc.localDescription!.toJSON() });
          }
        } else if (payload?.candidate) {
          await this.pc.addIceCandidate(payload.candidate).catch(() => undefined);
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

  async stats(): Promise<{ inbound: InboundStat[]; outbound: OutboundStat[] }> {
    const inbound: InboundStat[] = [];
    const outbound: OutboundStat[] = [];
    (await this.pc.getStats()).forEach((s: Json) => {
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

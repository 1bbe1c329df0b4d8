// The two one-way peer connections of protocol.md section 4: `publish` (we offer
// and send) and `subscribe` (the server offers and sends every other peer's tracks).
import type { Json } from "./signaling";

export type Send = (type: string, data: Json) => void;
export type TrackHandler = (trackId: string, track: MediaStreamTrack) => void;

export type InboundStat = {
  trackId: string;
  kind: string;
  framesDecoded: number;
  packetsReceived: number;
  bytesReceived: number;
};
export type OutboundStat = { kind: string; packetsSent: number; bytesSent: number };

export class MediaSession {
  private publishPc?: RTCPeerConnection;
  private subscribePc?: RTCPeerConnection;
  private midToTrack = new Map<string, string>();
  // Offers, answers and candidates apply in order, never interleaved.
  private subscribeChain: Promise<void> = Promise.resolve();
  private publishChain: Promise<void> = Promise.resolve();

  constructor(
    private send: Send,
    private iceServers: RTCIceServer[],
    private onTrack: TrackHandler,
    private onError: (message: string) => void,
  ) {}

  async publish(stream: MediaStream): Promise<void> {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    this.publishPc = pc;
    pc.onicecandidate = (e) => this.sendCandidate("publish", e.candidate);
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const trackMetadata: Record<string, Json> = {};
    for (const t of pc.getTransceivers()) {
      const kind = t.sender.track?.kind ?? "audio";
      if (t.mid !== null) trackMetadata[t.mid] = { kind, source: kind === "video" ? "camera" : "microphone" };
    }
    this.send("publishOffer", { sdp: pc.localDescription!.sdp, trackMetadata });
  }

  onPublishAnswer(sdp: string): void {
    const pc = this.publishPc;
    if (!pc) return;
    this.publishChain = this.publishChain
      .then(() => pc.setRemoteDescription({ type: "answer", sdp }))
      .catch((e) => this.onError(`publish answer: ${e}`));
  }

  onSubscribeOffer(sdp: string, midToTrackId: Record<string, string>): void {
    for (const [mid, track] of Object.entries(midToTrackId)) this.midToTrack.set(mid, track);
    const pc = this.subscribeConnection();
    this.subscribeChain = this.subscribeChain
      .then(async () => {
        await pc.setRemoteDescription({ type: "offer", sdp });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        this.send("subscribeAnswer", { sdp: pc.localDescription!.sdp });
      })
      .catch((e) => this.onError(`subscribe offer: ${e}`));
  }

  onCandidate(data: { pc: string; candidate: string; sdpMLineIndex: number; sdpMid: string | null }): void {
    const init: RTCIceCandidateInit = { candidate: data.candidate, sdpMLineIndex: data.sdpMLineIndex };
    if (data.sdpMid) init.sdpMid = data.sdpMid;
    if (data.pc === "publish" && this.publishPc) {
      const pc = this.publishPc;
      this.publishChain = this.publishChain.then(() => pc.addIceCandidate(init)).catch(() => undefined);
    } else if (data.pc === "subscribe") {
      const pc = this.subscribeConnection();
      this.subscribeChain = this.subscribeChain.then(() => pc.addIceCandidate(init)).catch(() => undefined);
    }
  }

  async stats(): Promise<{ inbound: InboundStat[]; outbound: OutboundStat[] }> {
    const inbound: InboundStat[] = [];
    const outbound: OutboundStat[] = [];
    (await this.subscribePc?.getStats())?.forEach((s: Json) => {
      if (s.type !== "inbound-rtp") return;
      inbound.push({
        trackId: this.midToTrack.get(s.mid) ?? `mid:${s.mid}`,
        kind: s.kind,
        framesDecoded: s.framesDecoded ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
      });
    });
    (await this.publishPc?.getStats())?.forEach((s: Json) => {
      if (s.type === "outbound-rtp") outbound.push({ kind: s.kind, packetsSent: s.packetsSent ?? 0, bytesSent: s.bytesSent ?? 0 });
    });
    return { inbound, outbound };
  }

  close(): void {
    this.publishPc?.close();
    this.subscribePc?.close();
    this.publishPc = this.subscribePc = undefined;
  }

  private subscribeConnection(): RTCPeerConnection {
    if (this.subscribePc) return this.subscribePc;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    pc.onicecandidate = (e) => this.sendCandidate("subscribe", e.candidate);
    pc.ontrack = (e) => {
      const trackId = e.transceiver.mid !== null ? this.midToTrack.get(e.transceiver.mid) : undefined;
      if (trackId) this.onTrack(trackId, e.track);
    };
    this.subscribePc = pc;
    return pc;
  }

  private sendCandidate(pc: "publish" | "subscribe", c: RTCIceCandidate | null): void {
    if (c && c.candidate) this.send("candidate", { pc, candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0, sdpMid: c.sdpMid });
  }
}

// call rooms: the two browsers connect directly; their SDP and ICE candidates
// travel through the server inside `relay` media events.
import type { Json } from "./signaling";

export class DirectCall {
  private pc: RTCPeerConnection;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private other: string,
    iceServers: RTCIceServer[],
    local: MediaStream | null,
    private relay: (to: string, payload: Json) => void,
    onTrack: (track: MediaStreamTrack) => void,
  ) {
    this.pc = new RTCPeerConnection({ iceServers });
    local?.getTracks().forEach((t) => this.pc.addTrack(t, local));
    this.pc.onicecandidate = (e) => {
      if (e.candidate) this.relay(other, { candidate: e.candidate.toJSON() });
    };
    this.pc.ontrack = (e) => onTrack(e.track);
  }

  // The caller (the peer that was first in the room) makes the offer.
  call(): void {
    this.chain = this.chain.then(async () => {
      await this.pc.setLocalDescription(await this.pc.createOffer({ offerToReceiveAudio: true, offerToReceiveVideo: true }));
      this.relay(this.other, { description: this.pc.localDescription!.toJSON() });
    });
  }

  onRelay(payload: Json): void {
    this.chain = this.chain.then(async () => {
      if (payload.description) {
        await this.pc.setRemoteDescription(payload.description);
        if (payload.description.type === "offer") {
          await this.pc.setLocalDescription(await this.pc.createAnswer());
          this.relay(this.other, { description: this.pc.localDescription!.toJSON() });
        }
      } else if (payload.candidate) {
        await this.pc.addIceCandidate(payload.candidate);
      }
    }).catch((e) => console.error("call relay", e));
  }

  close(): void {
    this.pc.close();
  }
}

// Broadcast viewers watch the publisher through low-latency HLS, not WebRTC.
// hls.js is loaded only here (a separate chunk), so other pages stay small.
import type Hls from "hls.js";

export class HlsPlayer {
  private hls: Hls | null = null;
  private retry?: ReturnType<typeof setTimeout>;
  private stopped = false;

  constructor(
    private video: HTMLVideoElement,
    private url: string,
    private onState: (playing: boolean) => void,
    private onSoundBlocked: () => void,
  ) {
    video.addEventListener("playing", () => this.onState(true));
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.destroyHls();
    const { default: HlsClass } = await import("hls.js");
    if (this.stopped) return;
    if (!HlsClass.isSupported()) {
      // Safari plays HLS natively.
      if (this.video.canPlayType("application/vnd.apple.mpegurl")) {
        this.video.src = this.url;
        this.play();
      }
      return;
    }
    // Catch up (play up to 1.5x) when behind the live edge, instead of staying late.
    const hls = new HlsClass({ lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 });
    this.hls = hls;
    // Test hook: e2e tests read hls.playingDate for the publisher-to-viewer latency.
    (globalThis as { videoroomHls?: Hls }).videoroomHls = hls;
    hls.on(HlsClass.Events.MANIFEST_PARSED, () => this.play());
    hls.on(HlsClass.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      // The playlist appears a little after the publisher starts: keep trying.
      this.onState(false);
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else this.scheduleRetry();
    });
    hls.loadSource(this.url);
    hls.attachMedia(this.video);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.destroyHls();
  }

  private play(): void {
    void this.video.play().catch((e: Error) => {
      if (e.name !== "NotAllowedError" || this.video.muted) return;
      // Autoplay with sound refused: play muted until the user enables sound.
      this.video.muted = true;
      void this.video.play().catch(() => undefined);
      this.onSoundBlocked();
    });
  }

  private scheduleRetry(): void {
    clearTimeout(this.retry);
    this.destroyHls();
    this.retry = setTimeout(() => void this.start(), 2000);
  }

  private destroyHls(): void {
    this.hls?.destroy();
    this.hls = null;
  }
}

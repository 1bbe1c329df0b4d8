// The camera and microphone. A missing camera still leaves the microphone;
// a refusal leaves the user a receiver, told why.
import { permissionMessage } from "./devices";
import type { RoomUi } from "./ui";

export async function openCamera(video: boolean, ui: RoomUi): Promise<MediaStream | null> {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video });
  } catch (e) {
    const name = (e as Error).name;
    if (video && name !== "NotAllowedError") {
      try {
        const audioOnly = await navigator.mediaDevices.getUserMedia({ audio: true });
        ui.toast("Camera unavailable: you are heard but not seen.");
        return audioOnly;
      } catch {
        /* fall through to the message below */
      }
    }
    ui.notice(`${permissionMessage(e)} Others cannot see or hear you.`);
    return null;
  }
}

// Simulcast (issue 22). The camera is published as three encodings when the
// server takes them (peerAccepted.simulcast: rooms.simulcast, group rooms);
// `&simulcast=0` turns it off, `&simulcast=1` asks for it anyway. `&video=
// low|medium|high` asks the server for that variant of every remote video
// (setTargetTrackVariant).
export type Variant = "h" | "m" | "l";
export type SimulcastOptions = { publish: boolean; target: Variant | null };

// Full size first: a server that refuses simulcast (rooms.simulcast off) gets
// only the first encoding from Chrome, which must then be the full picture.
export const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: "h" },
  { rid: "m", scaleResolutionDownBy: 2 },
  { rid: "l", scaleResolutionDownBy: 4 },
];

const VARIANTS: Record<string, Variant> = { low: "l", medium: "m", high: "h" };

export function simulcastOptions(search: string, serverTakesSimulcast: boolean): SimulcastOptions {
  const params = new URLSearchParams(search);
  const asked = params.get("simulcast");
  // A server that refuses simulcast makes Chrome start its one encoding small
  // (320 wide for a while): offer it only where it is taken, unless asked.
  // Firefox publishes rids as well (media/README.md, Firefox and simulcast).
  const publish = asked === "1" || (asked !== "0" && serverTakesSimulcast);
  return { publish, target: VARIANTS[params.get("video") ?? ""] ?? null };
}

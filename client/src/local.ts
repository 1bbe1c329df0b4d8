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

// Simulcast (issue 22). `&simulcast=1` publishes the camera as three
// encodings, smallest first; `&video=low|medium|high` asks the server for that
// variant of every remote video (setTargetTrackVariant).
export type Variant = "h" | "m" | "l";
export type SimulcastOptions = { publish: boolean; target: Variant | null };

export const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: "l", scaleResolutionDownBy: 4 },
  { rid: "m", scaleResolutionDownBy: 2 },
  { rid: "h" },
];

const VARIANTS: Record<string, Variant> = { low: "l", medium: "m", high: "h" };

export function simulcastOptions(search: string): SimulcastOptions {
  const params = new URLSearchParams(search);
  return { publish: params.get("simulcast") === "1", target: VARIANTS[params.get("video") ?? ""] ?? null };
}

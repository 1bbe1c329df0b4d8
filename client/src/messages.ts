// Human-readable texts for the protocol's error reasons (protocol.md §2, §3);
// `satisfies` makes sure every reason of protocol.ts has one.
import type { JoinErrorReason, RequestErrorReason } from "./protocol";

export const JOIN_ERRORS: Record<string, string> = {
  room_full: "This room is full.",
  room_type_mismatch: "This room already exists with another type. Join it without choosing a type, or pick another room name.",
  invalid_room: "That is not a valid room name (1 to 64 letters, digits, - or _).",
  invalid_params: "Your display name must be 1 to 64 characters.",
  unauthorized: "You may not join this room.",
  unavailable: "The room is not available right now. Please try again in a moment.",
  rate_limited: "Too many joins from your address. Please wait a moment and try again.",
} satisfies Record<JoinErrorReason, string>;
export const REQUEST_ERRORS: Record<string, string> = {
  forbidden: "not allowed",
  not_found: "that person is no longer here",
  room_full: "no free publisher seat",
  invalid_params: "invalid request",
  rate_limited: "too many messages, wait a moment",
  unavailable: "not available on this server",
  timeout: "no answer from the server", // no reply in time (phoenix's push timeout)
} satisfies Record<RequestErrorReason | "timeout", string>;

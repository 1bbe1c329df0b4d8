// The room rules the client mirrors to show only the controls that can work
// (protocol.md §3). They mirror the server's actors/room_rules.cpp
// (room_state::raise_hand, room_state::kick): change both together. The server
// decides; a control shown by mistake gets a `forbidden` reply.
import type { PeerId, Role, RoomType } from "./protocol";

export type Member = { id: PeerId; role: Role };
// This client, before the join reply too.
export type Self = { id: PeerId | null; role: Role | null };

// raiseHand: a viewer in a group or audio room.
export function canRaiseHand(roomType: RoomType | null, role: Role | null): boolean {
  return role === "viewer" && (roomType === "group" || roomType === "audio");
}

// kick: in group and audio rooms a publisher may kick anyone else; in broadcast
// rooms the publisher may kick viewers; in calls nobody kicks.
export function canKick(roomType: RoomType | null, by: Self, target: Member): boolean {
  if (by.role !== "publisher" || by.id === target.id) return false;
  if (roomType === "group" || roomType === "audio") return true;
  return roomType === "broadcast" && target.role === "viewer";
}

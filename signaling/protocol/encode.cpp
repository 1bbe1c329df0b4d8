#include "signaling/protocol/encode.hpp"

#include "signaling/json_writer.hpp"

namespace vr::signaling::protocol {

namespace {

using json::writer;

// Keys in the order protocol.md lists them (tests read frames as text too).
void field(writer& w, std::string_view k, std::string_view v) {
  json::key(w, k);
  json::string(w, v);
}

void nullable_field(writer& w, std::string_view k, const std::optional<std::string>& v) {
  json::key(w, k);
  json::nullable(w, v);
}

void raw_field(writer& w, std::string_view k, const raw_json& v) {
  json::key(w, k);
  json::raw(w, v.text);
}

void write(writer& w, const track_map& tracks) {
  w.StartObject();
  for (auto& [id, t] : tracks) {
    json::key(w, id);
    w.StartObject();
    field(w, "kind", to_string(t.kind));
    raw_field(w, "metadata", t.metadata);
    w.EndObject();
  }
  w.EndObject();
}

void write(writer& w, const peer_desc& p) {
  w.StartObject();
  field(w, "id", p.id);
  raw_field(w, "metadata", p.metadata);
  field(w, "role", to_string(p.role));
  json::key(w, "tracks");
  write(w, p.tracks);
  w.EndObject();
}

void write(writer& w, const chat_message& m) {
  field(w, "from", m.from);
  field(w, "name", m.name);
  field(w, "text", m.text);
  json::key(w, "at");
  w.Int64(m.at);
}

void write_strings(writer& w, const std::map<std::string, std::string>& m) {
  w.StartObject();
  for (auto& [k, v] : m)
    field(w, k, v);
  w.EndObject();
}

// Each media event: its "type" and the fields of its "data" object.
struct media_writer {
  writer& w;

  std::string_view operator()(const peer_accepted& e) const {
    field(w, "id", e.id);
    field(w, "role", to_string(e.role));
    field(w, "roomType", to_string(e.type));
    nullable_field(w, "ownerId", e.owner_id);
    json::key(w, "peersInRoom");
    w.StartArray();
    for (auto& p : e.peers_in_room)
      write(w, p);
    w.EndArray();
    json::key(w, "iceServers");
    w.StartArray();
    for (auto& s : e.ice_servers) {
      w.StartObject();
      field(w, "urls", s.urls);
      if (s.username)
        field(w, "username", *s.username);
      if (s.credential)
        field(w, "credential", *s.credential);
      w.EndObject();
    }
    w.EndArray();
    if (e.hls_url)
      field(w, "hlsUrl", *e.hls_url);
    json::key(w, "simulcast");
    w.Bool(e.simulcast);
    return "peerAccepted";
  }
  std::string_view operator()(const peer_joined& e) const {
    json::key(w, "peer");
    write(w, e.peer);
    return "peerJoined";
  }
  std::string_view operator()(const peer_left& e) const {
    field(w, "peerId", e.peer_id);
    return "peerLeft";
  }
  std::string_view operator()(const peer_updated& e) const {
    field(w, "peerId", e.peer_id);
    raw_field(w, "metadata", e.metadata);
    return "peerUpdated";
  }
  std::string_view operator()(const track_updated& e) const {
    field(w, "peerId", e.peer_id);
    field(w, "trackId", e.track_id);
    raw_field(w, "metadata", e.metadata);
    return "trackUpdated";
  }
  std::string_view operator()(const tracks_added& e) const {
    field(w, "peerId", e.peer_id);
    json::key(w, "tracks");
    write(w, e.tracks);
    return "tracksAdded";
  }
  std::string_view operator()(const tracks_removed& e) const {
    field(w, "peerId", e.peer_id);
    json::key(w, "trackIds");
    w.StartArray();
    for (auto& id : e.track_ids)
      json::string(w, id);
    w.EndArray();
    return "tracksRemoved";
  }
  std::string_view operator()(const sdp_message& e) const {
    field(w, "sdp", e.sdp);
    json::key(w, "midToTrackId");
    write_strings(w, e.mid_to_track_id);
    return e.kind == sdp_kind::publish_answer ? "publishAnswer" : "subscribeOffer";
  }
  std::string_view operator()(const ice_candidate& e) const {
    field(w, "pc", to_string(e.pc));
    field(w, "candidate", e.candidate);
    json::key(w, "sdpMLineIndex");
    w.Uint(e.sdp_mline_index);
    nullable_field(w, "sdpMid", e.sdp_mid);
    return "candidate";
  }
  std::string_view operator()(const relay_message& e) const {
    field(w, "from", e.from);
    raw_field(w, "payload", e.payload);
    return "relay";
  }
  std::string_view operator()(const media_error& e) const {
    field(w, "reason", e.reason);
    field(w, "message", e.message);
    return "error";
  }
  std::string_view operator()(const vad_notification& e) const {
    field(w, "trackId", e.track_id);
    field(w, "status", e.speech ? "speech" : "silence");
    return "vadNotification";
  }
  std::string_view operator()(const track_variant_switched& e) const {
    field(w, "peerId", e.peer_id);
    field(w, "trackId", e.track_id);
    field(w, "variant", e.variant);
    return "trackVariantSwitched";
  }
  std::string_view operator()(const track_variant_availability& e) const {
    field(w, "peerId", e.peer_id);
    field(w, "trackId", e.track_id);
    field(w, "variant", e.variant);
    return e.enabled ? "trackVariantEnabled" : "trackVariantDisabled";
  }
};

// Channel pushes: the event name and its payload object's fields.
struct push_writer {
  writer& w;

  std::string_view operator()(const owner_changed& e) const {
    nullable_field(w, "ownerId", e.owner_id);
    return "ownerChanged";
  }
  std::string_view operator()(const role_changed& e) const {
    field(w, "peerId", e.peer_id);
    field(w, "role", to_string(e.role));
    return "roleChanged";
  }
  std::string_view operator()(const hand_raised& e) const {
    field(w, "peerId", e.peer_id);
    field(w, "displayName", e.display_name);
    return "handRaised";
  }
  std::string_view operator()(const hand_answered& e) const {
    json::key(w, "accept");
    w.Bool(e.accept);
    return "handAnswered";
  }
  std::string_view operator()(const kicked& e) const {
    field(w, "by", e.by);
    return "kicked";
  }
  std::string_view operator()(const recording_changed& e) const {
    json::key(w, "active");
    w.Bool(e.active);
    field(w, "by", e.by);
    return "recordingChanged";
  }
  std::string_view operator()(const chat_message& e) const {
    write(w, e);
    return "chat";
  }
  std::string_view operator()(const server_media_event& e) const {
    json::key(w, "data");
    json::string(w, encode_inner(e));
    return "mediaEvent";
  }

  // {"type": TYPE, "data": {...}}, carried as a string inside the payload.
  static std::string encode_inner(const server_media_event& e) {
    return json::write([&](writer& inner) {
      // "type" comes first but is known only once "data" is written: write
      // the data object on its own, then the envelope around it.
      std::string_view type;
      auto data = json::write([&](writer& d) {
        d.StartObject();
        type = std::visit(media_writer{d}, e);
        d.EndObject();
      });
      inner.StartObject();
      field(inner, "type", type);
      json::key(inner, "data");
      json::raw(inner, data);
      inner.EndObject();
    });
  }
};

std::string empty_frame(const opt_ref& join_ref, std::string_view topic, std::string_view event) {
  return json::frame(join_ref, join_ref, topic, event, [](writer& w) {
    w.StartObject();
    w.EndObject();
  });
}

}  // namespace

std::string_view to_string(pc_kind pc) { return pc == pc_kind::publish ? "publish" : "subscribe"; }

std::string_view to_string(track_kind kind) {
  return kind == track_kind::audio ? "audio" : "video";
}

std::string encode_reply(const opt_ref& join_ref, const opt_ref& ref, std::string_view topic,
                         const reply& r) {
  struct visitor {
    writer& w;
    void operator()(const reply_ok&) const {
      field(w, "status", "ok");
      json::key(w, "response");
      w.StartObject();
      w.EndObject();
    }
    void operator()(const join_reply& j) const {
      field(w, "status", "ok");
      json::key(w, "response");
      w.StartObject();
      field(w, "peerId", j.peer_id);
      field(w, "role", to_string(j.role));
      field(w, "roomType", to_string(j.type));
      nullable_field(w, "ownerId", j.owner_id);
      json::key(w, "recording");
      w.StartObject();
      json::key(w, "active");
      w.Bool(j.recording.active);
      nullable_field(w, "by", j.recording.by);
      w.EndObject();
      json::key(w, "chat");
      w.StartArray();
      for (auto& m : j.chat) {
        w.StartObject();
        write(w, m);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    void operator()(const reply_error& e) const {
      field(w, "status", "error");
      json::key(w, "response");
      w.StartObject();
      field(w, "reason", e.reason);
      w.EndObject();
    }
  };
  return json::frame(join_ref, ref, topic, "phx_reply", [&](writer& w) {
    w.StartObject();
    std::visit(visitor{w}, r);
    w.EndObject();
  });
}

std::string encode_push(const opt_ref& join_ref, std::string_view topic, const server_push& p) {
  // The event name is known once the payload is written.
  std::string_view event;
  auto payload = json::write([&](writer& w) {
    w.StartObject();
    event = std::visit(push_writer{w}, p);
    w.EndObject();
  });
  return json::frame(join_ref, std::nullopt, topic, event,
                     [&](writer& w) { json::raw(w, payload); });
}

std::string encode_media_payload(const server_media_event& ev) {
  return json::write([&](writer& w) {
    w.StartObject();
    push_writer{w}(ev);
    w.EndObject();
  });
}

std::string encode_close(const opt_ref& join_ref, std::string_view topic) {
  return empty_frame(join_ref, topic, "phx_close");
}

std::string encode_channel_error(const opt_ref& join_ref, std::string_view topic) {
  return empty_frame(join_ref, topic, "phx_error");
}

}  // namespace vr::signaling::protocol

#include "signaling/media_event.hpp"

#include "signaling/json.hpp"
#include "signaling/json_writer.hpp"

namespace vr::signaling::media_event {

std::optional<event> decode(std::string_view inner_json, std::size_t max_depth) {
  auto doc = json::parse(inner_json, max_depth);
  if (!doc || !doc->IsObject())
    return std::nullopt;
  auto type = json::get_string(*doc, "type");
  if (!type)
    return std::nullopt;
  event ev{std::string{*type}};
  if (doc->HasMember("data")) {
    auto* data = json::get_object(*doc, "data");
    if (data == nullptr)
      return std::nullopt;
    ev.data = json::to_string(*data);
  }
  return ev;
}

std::optional<event> decode_payload(std::string_view payload_json, std::size_t max_depth) {
  auto doc = json::parse(payload_json, max_depth);
  if (!doc)
    return std::nullopt;
  auto inner = json::get_string(*doc, "data");
  if (!inner)
    return std::nullopt;
  return decode(*inner, max_depth);
}

std::string encode_payload(std::string_view type, std::string_view data_json) {
  auto inner = json::write([&](json::writer& w) {
    w.StartObject();
    json::key(w, "type");
    json::string(w, type);
    json::key(w, "data");
    json::raw(w, data_json);
    w.EndObject();
  });
  return json::write([&](json::writer& w) {
    w.StartObject();
    json::key(w, "data");
    json::string(w, inner);
    w.EndObject();
  });
}

std::string error_payload(std::string_view reason, std::string_view message) {
  return encode_payload("error", json::write([&](json::writer& w) {
                          w.StartObject();
                          json::key(w, "reason");
                          json::string(w, reason);
                          json::key(w, "message");
                          json::string(w, message);
                          w.EndObject();
                        }));
}

}  // namespace vr::signaling::media_event

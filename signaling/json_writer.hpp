// Writing JSON with RapidJSON's Writer (never by concatenating strings), and
// the Phoenix frame around a payload, shared by every encoder.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>

namespace vr::signaling::json {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void string(writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

inline void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

inline void nullable(writer& w, const std::optional<std::string>& s) {
  if (s)
    string(w, *s);
  else
    w.Null();
}

// JSON text we checked (or made) ourselves, written as it is.
inline void raw(writer& w, std::string_view json, rapidjson::Type type = rapidjson::kObjectType) {
  w.RawValue(json.data(), json.size(), type);
}

// The text `body(writer&)` writes.
template <class Body>
std::string write(Body&& body) {
  rapidjson::StringBuffer buf;
  writer w{buf};
  body(w);
  return {buf.GetString(), buf.GetSize()};
}

// A Phoenix frame [join_ref, ref, topic, event, payload]; `payload(writer&)`
// writes the payload object.
template <class Payload>
std::string frame(const std::optional<std::string>& join_ref, const std::optional<std::string>& ref,
                  std::string_view topic, std::string_view event, Payload&& payload) {
  return write([&](writer& w) {
    w.StartArray();
    nullable(w, join_ref);
    nullable(w, ref);
    string(w, topic);
    string(w, event);
    payload(w);
    w.EndArray();
  });
}

}  // namespace vr::signaling::json

#include "signaling/phoenix.hpp"

#include "signaling/json.hpp"
#include "signaling/json_writer.hpp"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace vr::signaling::phoenix {

namespace {

// A ref slot holds a string or null; anything else makes the frame bad.
bool ref_slot(const rapidjson::Value& v, std::optional<std::string>& out) {
  if (v.IsNull())
    return true;
  if (!v.IsString())
    return false;
  out.emplace(v.GetString(), v.GetStringLength());
  return true;
}

// Reads the leading [join_ref, ref, topic of a frame that is valid JSON but
// nested too deeply, so that it can still be answered.
struct salvage_handler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, salvage_handler> {
  decode_error err;
  int depth = 0;
  int index = 0;  // position in the top-level array
  bool ok_so_far = true;

  bool Default() { return next(); }
  bool Null() { return next(); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (depth == 1 && index < 3)
      (index == 2 ? err.topic : index == 1 ? err.ref : err.join_ref).emplace(s, n);
    return next();
  }
  bool StartArray() {
    ++depth;
    return depth == 1 || index >= 3;  // nothing nested before the topic
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return next();
  }
  bool StartObject() {
    ++depth;
    return index >= 3;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return next();
  }
  bool next() {
    if (depth == 1)
      ++index;
    return index < 3;  // stop once the topic is read
  }
};

template <class Handler>
bool sax_parse(std::string_view text, Handler& h) {
  rapidjson::MemoryStream ms{text.data(), text.size()};
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in{ms};
  rapidjson::Reader reader;
  return !reader
            .Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(in, h)
            .IsError();
}

decode_error salvage(std::string_view text) {
  // Text that is not JSON at all is not answered: nothing in it can be trusted.
  // The check builds no DOM and the iterative reader does not recurse.
  rapidjson::BaseReaderHandler<> validate;
  if (text.find('\0') != std::string_view::npos || !sax_parse(text, validate))
    return decode_error{{}, {}, {}, "not JSON"};
  salvage_handler h;
  sax_parse(text, h);
  if (h.index < 3)
    return decode_error{{}, {}, {}, "nested too deeply"};
  h.err.what = "nested too deeply";
  return h.err;
}

}  // namespace

std::variant<parsed_frame, decode_error> parse(std::string_view text, limits lim) {
  auto doc = json::parse(text, lim.max_depth);
  if (!doc)
    return salvage(text);
  if (!doc->IsArray() || doc->Empty())
    return decode_error{{}, {}, {}, "not a JSON array"};
  auto a = doc->GetArray();
  // Salvage what identifies the frame, so the caller can answer it.
  decode_error err;
  bool refs_ok = ref_slot(a[0], err.join_ref);
  if (a.Size() > 1)
    refs_ok = ref_slot(a[1], err.ref) && refs_ok;
  if (a.Size() > 2 && a[2].IsString())
    err.topic.emplace(a[2].GetString(), a[2].GetStringLength());
  if (a.Size() != 5) {
    err.what = "a frame has 5 elements";
    return err;
  }
  if (!refs_ok || !err.topic || !a[3].IsString() || !a[4].IsObject()) {
    err.what = "a frame is [string|null, string|null, string, string, object]";
    return err;
  }
  parsed_frame f;
  f.join_ref = std::move(err.join_ref);
  f.ref = std::move(err.ref);
  f.topic = std::move(*err.topic);
  f.event.assign(a[3].GetString(), a[3].GetStringLength());
  f.doc = std::move(*doc);
  return f;
}

std::variant<frame, decode_error> decode(std::string_view text, limits lim) {
  auto parsed = parse(text, lim);
  if (auto* err = std::get_if<decode_error>(&parsed))
    return std::move(*err);
  auto& p = std::get<parsed_frame>(parsed);
  return frame{std::move(p.join_ref), std::move(p.ref), std::move(p.topic), std::move(p.event),
               json::to_string(p.payload())};
}

std::string encode(const frame& f) {
  return json::frame(f.join_ref, f.ref, f.topic, f.event,
                     [&](json::writer& w) { json::raw(w, f.payload); });
}

std::string reply(const std::optional<std::string>& join_ref, const std::optional<std::string>& ref,
                  std::string_view topic, std::string_view status, std::string_view response_json) {
  return json::frame(join_ref, ref, topic, "phx_reply", [&](json::writer& w) {
    w.StartObject();
    json::key(w, "status");
    json::string(w, status);
    json::key(w, "response");
    json::raw(w, response_json);
    w.EndObject();
  });
}

std::string reason_json(std::string_view reason) {
  return json::write([&](json::writer& w) {
    w.StartObject();
    json::key(w, "reason");
    json::string(w, reason);
    w.EndObject();
  });
}

}  // namespace vr::signaling::phoenix

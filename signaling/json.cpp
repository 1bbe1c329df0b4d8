#include "signaling/json.hpp"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace vr::signaling::json {

namespace {

// True if `s` holds an encoded UTF-16 surrogate (ED A0..BF xx). Raw input bytes
// are validated by the reader, but RapidJSON 1.1.0 decodes an escaped lone low
// surrogate ("\udc00") into these bytes: text we would pass on to browsers as
// invalid UTF-8 (which fails their WebSocket) and refuse ourselves when read again.
bool has_surrogate(const char* s, rapidjson::SizeType n) {
  for (rapidjson::SizeType i = 0; i + 1 < n; i++)
    if (static_cast<unsigned char>(s[i]) == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0)
      return true;
  return false;
}

// Forwards SAX events to the document, refusing nesting deeper than `max`.
// With the iterative reader this keeps hostile input off the call stack.
template <class Handler>
struct depth_guard {
  Handler& h;
  std::size_t max;
  std::size_t depth = 0;

  bool Null() { return h.Null(); }
  bool Bool(bool b) { return h.Bool(b); }
  bool Int(int i) { return h.Int(i); }
  bool Uint(unsigned u) { return h.Uint(u); }
  bool Int64(int64_t i) { return h.Int64(i); }
  bool Uint64(uint64_t u) { return h.Uint64(u); }
  bool Double(double d) { return h.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return h.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return !has_surrogate(s, n) && h.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    return !has_surrogate(s, n) && h.Key(s, n, copy);
  }
  bool StartObject() { return ++depth <= max && h.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return h.EndObject(n);
  }
  bool StartArray() { return ++depth <= max && h.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return h.EndArray(n);
  }
};

}  // namespace

std::optional<rapidjson::Document> parse(std::string_view text, std::size_t max_depth) {
  // MemoryStream reads a NUL as the end: refuse it rather than ignore what follows.
  if (text.find('\0') != std::string_view::npos)
    return std::nullopt;
  rapidjson::Document doc;
  bool ok = false;
  auto generate = [&](rapidjson::Document& handler) {
    rapidjson::MemoryStream ms{text.data(), text.size()};
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in{ms};
    depth_guard<rapidjson::Document> guard{handler, max_depth};
    rapidjson::Reader reader;
    constexpr unsigned flags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
    ok = !reader.Parse<flags>(in, guard).IsError();
    return ok;
  };
  doc.Populate(generate);
  if (!ok)
    return std::nullopt;
  return doc;
}

std::string to_string(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

std::string quote(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buf.GetString(), buf.GetSize()};
}

namespace {

// The member `key` of an object, or nullptr.
const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject())
    return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

}  // namespace

std::optional<std::string_view> get_string(const rapidjson::Value& obj, const char* key) {
  auto* v = member(obj, key);
  if (v == nullptr || !v->IsString())
    return std::nullopt;
  return std::string_view{v->GetString(), v->GetStringLength()};
}

std::optional<bool> get_bool(const rapidjson::Value& obj, const char* key) {
  auto* v = member(obj, key);
  return v != nullptr && v->IsBool() ? std::optional<bool>{v->GetBool()} : std::nullopt;
}

std::optional<long long> get_int(const rapidjson::Value& obj, const char* key) {
  auto* v = member(obj, key);
  return v != nullptr && v->IsInt64() ? std::optional<long long>{v->GetInt64()} : std::nullopt;
}

const rapidjson::Value* get_object(const rapidjson::Value& obj, const char* key) {
  auto* v = member(obj, key);
  return v != nullptr && v->IsObject() ? v : nullptr;
}

}  // namespace vr::signaling::json

// Small RapidJSON helpers shared by the codecs and the actors.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vr::signaling::json {

// Parses `text` iteratively (no recursion) and refuses nesting deeper than
// `max_depth`. Returns nullopt on any error.
std::optional<rapidjson::Document> parse(std::string_view text, std::size_t max_depth = 32);

// Compact serialization of a value.
std::string to_string(const rapidjson::Value& v);

// Quotes and escapes `s` as a JSON string literal.
std::string quote(std::string_view s);

// Typed lookups on an object; nullopt when missing or of another type.
std::optional<std::string_view> get_string(const rapidjson::Value& obj, const char* key);
std::optional<bool> get_bool(const rapidjson::Value& obj, const char* key);
std::optional<long long> get_int(const rapidjson::Value& obj, const char* key);
const rapidjson::Value* get_object(const rapidjson::Value& obj, const char* key);

}  // namespace vr::signaling::json

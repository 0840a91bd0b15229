// libFuzzer target for the path untrusted bytes take: an API response body through
// parse_task_version and render, and the same bytes through decode_base64.
// Rejecting an input is fine; a crash, a sanitizer report or a rendered snapshot that breaks one
// of the invariants below is not. Violations abort, so libFuzzer saves the input as a crash.

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/task_version.hpp"
#include "base/base64.hpp"
#include "render/render.hpp"

namespace {

using tasksync::TaskVersion;

// The task every seed in corpus/ answers for; ids are compared case-insensitively.
constexpr std::string_view kTaskId = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
constexpr std::string_view kTaskIdUpper = "3C90C3CC-0D44-4B50-8888-8DD25736052A";

[[noreturn]] void fail(const char *condition, int line) {
  std::fprintf(stderr, "task_version_fuzz.cpp:%d: invariant violated: %s\n", line, condition);
  std::abort();
}

// Always on, unlike assert(): the build type must not decide whether invariants are checked.
#define FUZZ_CHECK(condition) ((condition) ? void() : fail(#condition, __LINE__))

std::string_view view(const rapidjson::Value &string) { return {string.GetString(), string.GetStringLength()}; }

// Keys strictly in byte order in every object (render's order; the parser refuses repeated
// keys) and every "password" value redacted.
void check_canonical(const rapidjson::Value &value) {
  if (value.IsObject()) {
    const rapidjson::Value *previous = nullptr;
    for (const auto &member : value.GetObject()) {
      FUZZ_CHECK(previous == nullptr || view(*previous) < view(member.name));
      previous = &member.name;
      if (view(member.name) == "password") {
        FUZZ_CHECK(member.value.IsString() && view(member.value) == "<redacted>");
      } else {
        check_canonical(member.value);
      }
    }
  } else if (value.IsArray()) {
    for (const auto &element : value.GetArray())
      check_canonical(element);
  }
}

// The top-level sidecar member `key` holds `expected`, or is absent when `expected` is.
void check_member(const rapidjson::Value &sidecar, const char *key, const std::optional<std::string> &expected) {
  const auto it = sidecar.FindMember(key);
  if (!expected) {
    FUZZ_CHECK(it == sidecar.MemberEnd());
    return;
  }
  FUZZ_CHECK(it != sidecar.MemberEnd() && it->value.IsString() && view(it->value) == *expected);
}

void check_render(const TaskVersion &version) {
  const tasksync::Snapshot snapshot = tasksync::render(version);
  FUZZ_CHECK(snapshot.files.size() == 2);
  FUZZ_CHECK(snapshot.files[0].name < snapshot.files[1].name);
  const std::string code_name = tasksync::code_file_name(version.language);
  const auto &code = snapshot.files[0].name == code_name ? snapshot.files[0] : snapshot.files[1];
  const auto &sidecar = snapshot.files[0].name == "task.json" ? snapshot.files[0] : snapshot.files[1];
  FUZZ_CHECK(code.name == code_name && code.content == version.code);
  FUZZ_CHECK(sidecar.name == "task.json");
  FUZZ_CHECK(!sidecar.content.empty() && sidecar.content.back() == '\n');

  // Full precision, so numbers read back are the doubles render wrote and a re-render compares.
  rapidjson::Document parsed;
  constexpr unsigned kFlags =
      rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag;
  parsed.Parse<kFlags>(sidecar.content.data(), sidecar.content.size());
  if (parsed.HasParseError()) {
    std::fprintf(stderr, "task.json does not parse at offset %zu: %s\n", parsed.GetErrorOffset(),
                 rapidjson::GetParseError_En(parsed.GetParseError()));
  }
  FUZZ_CHECK(!parsed.HasParseError() && parsed.IsObject());
  check_canonical(parsed);

  check_member(parsed, "taskId", version.task_id);
  check_member(parsed, "version", version.version);
  check_member(parsed, "createdAt", version.created_at);
  check_member(parsed, "updatedAt", version.updated_at);
  check_member(parsed, "language", version.language);
  check_member(parsed, "description", version.description);
  // Through a const reference: RapidJSON 1.1's non-const member iterators compare ambiguously in
  // C++20 (clang's -Wambiguous-reversed-operator).
  const rapidjson::Value &root = parsed;
  const auto config = root.FindMember("browserConfiguration");
  FUZZ_CHECK((config != root.MemberEnd()) == (version.browser_configuration != nullptr));
  // No key beyond those above: code, deleted and the version id stay out of the sidecar.
  FUZZ_CHECK(parsed.MemberCount() == 4u + (version.language ? 1u : 0u) + (version.description ? 1u : 0u) +
                                         (version.browser_configuration ? 1u : 0u));

  // Canonical means a fixed point: rendering what the sidecar holds gives the same bytes.
  if (version.browser_configuration) {
    TaskVersion again = version;
    auto copy = std::make_shared<rapidjson::Document>();
    copy->CopyFrom(config->value, copy->GetAllocator());
    again.browser_configuration = std::move(copy);
    FUZZ_CHECK(tasksync::render_sidecar(again) == sidecar.content);
  }
}

void fuzz_response(std::string_view body) {
  auto version = tasksync::parse_task_version(std::string(body), kTaskId);
  if (!version) {
    FUZZ_CHECK(!version.error().message.empty());
    return;
  }
  FUZZ_CHECK(version->task_id == kTaskId);
  FUZZ_CHECK(!version->version.empty() && version->version.size() <= 64);
  check_render(*version);

  // The expected id's case must not matter either.
  auto upper = tasksync::parse_task_version(std::string(body), kTaskIdUpper);
  FUZZ_CHECK(upper && upper->task_id == kTaskId && upper->code == version->code);
}

// Standard base64 of `data`, a `separator` after every `line` characters.
std::string encode_base64(std::string_view data, std::size_t line, std::string_view separator) {
  std::string block(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char *>(block.data()),
                      reinterpret_cast<const unsigned char *>(data.data()), static_cast<int>(data.size()));
  block.resize(static_cast<std::size_t>(length));
  std::string out;
  for (std::size_t offset = 0; offset < block.size(); offset += line) {
    out.append(block, offset, line);
    out.append(separator);
  }
  return out;
}

void fuzz_base64(std::string_view input) {
  // Arbitrary bytes: any answer is fine as long as it is not more than the text can hold.
  // (Each character holds 6 bits, and the padding may be left out.)
  if (auto decoded = tasksync::decode_base64(input)) FUZZ_CHECK(decoded->size() <= input.size() * 3 / 4);

  // Any bytes survive encoding, with line breaks or blanks, and decoding. The first byte picks
  // the line length and the separator, so the fuzzer explores both.
  constexpr std::string_view kSeparators[] = {"\n", "\r\n", " ", "\t"};
  const auto seed = input.empty() ? 0u : static_cast<unsigned char>(input.front());
  const std::string encoded = encode_base64(input, 4u + seed % 77u, kSeparators[seed / 77u % 4u]);
  auto decoded = tasksync::decode_base64(encoded);
  FUZZ_CHECK(decoded && *decoded == input);

  // The same without its '=' padding, which the API's write schemas do not require.
  std::string unpadded = encoded;
  std::erase(unpadded, '=');
  auto decoded_unpadded = tasksync::decode_base64(unpadded);
  FUZZ_CHECK(decoded_unpadded && *decoded_unpadded == input);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  fuzz_response(input);
  fuzz_base64(input);
  return 0;
}

#include "publish/known_hosts.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "base/base64.hpp"
#include "base/text.hpp"

namespace tasksync {
namespace {

// Not std::views::split: clang 14, which builds the fuzzer, cannot compile libstdc++ 12's <ranges>.
std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string> fields_of(const std::string &line) {
  std::istringstream in(line);
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// OpenSSH's patterns: '*' and '?' only; '[' is literal, as in "[host]:2222", so fnmatch(3) would not do.
bool wildcard_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (std::size_t skip = 0; skip <= text.size(); ++skip) {
      if (wildcard_match(pattern.substr(1), text.substr(skip))) return true;
    }
    return false;
  }
  if (text.empty() || (pattern[0] != '?' && pattern[0] != text[0])) return false;
  return wildcard_match(pattern.substr(1), text.substr(1));
}

// "|1|base64(salt)|base64(HMAC-SHA1(salt, host))", as `ssh-keygen -H` writes.
bool hashed_host_matches(std::string_view field, const std::string &host) {
  const std::vector<std::string> parts = split(field, '|');
  if (parts.size() != 4 || !parts[0].empty() || parts[1] != "1") return false;
  auto salt = decode_base64(parts[2]);
  auto expected = decode_base64(parts[3]);
  if (!salt || !expected) return false;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()),
            reinterpret_cast<const unsigned char *>(host.data()), host.size(), digest, &length)) {
    return false;
  }
  return length == expected->size() && CRYPTO_memcmp(digest, expected->data(), length) == 0;
}

bool host_matches(std::string_view patterns, const std::string &host) {
  if (patterns.starts_with('|')) return hashed_host_matches(patterns, host);
  bool matched = false;
  for (const std::string &pattern : split(patterns, ',')) {
    const bool negated = pattern.starts_with('!');
    if (!wildcard_match(ascii_lower(negated ? pattern.substr(1) : pattern), host)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/// What the known_hosts files say about one host and key.
struct HostKeyFindings {
  bool listed = false;   // some line names the host
  bool accepted = false; // some line names the host with this key
  bool revoked = false;  // a @revoked line holds this key
};

void scan_known_hosts(const std::filesystem::path &file, const std::string &host, const HostKeyMatcher &matches,
                      HostKeyFindings &findings) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields = fields_of(line);
    if (fields.empty() || fields[0].starts_with('#')) continue;
    std::string marker;
    if (fields[0].starts_with('@')) {
      marker = fields[0];
      fields.erase(fields.begin());
    }
    if (fields.size() < 3 || marker == "@cert-authority") continue; // host certificates are not supported
    auto blob = decode_base64(fields[2]);
    if (!blob) continue;
    if (marker == "@revoked") {
      findings.revoked = findings.revoked || matches(*blob);
      continue;
    }
    if (!marker.empty() || !host_matches(fields[0], host)) continue;
    findings.listed = true;
    findings.accepted = findings.accepted || matches(*blob);
  }
}

std::string joined(const std::vector<std::filesystem::path> &files) {
  std::string text;
  for (const auto &file : files)
    text += (text.empty() ? "" : ", ") + file.string();
  return text;
}

std::string sha256(const std::string &data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char *>(digest), length);
}

} // namespace

HostKeyMatcher matches_key(std::string key) {
  return [key = std::move(key)](const std::string &blob) { return blob == key; };
}

HostKeyMatcher matches_key_sha256(std::string digest) {
  return [digest = std::move(digest)](const std::string &blob) { return sha256(blob) == digest; };
}

Result<void> check_host_key(const std::string &host, const HostKeyMatcher &matches,
                            const std::vector<std::filesystem::path> &files, bool listed_elsewhere) {
  HostKeyFindings findings;
  const std::string name = ascii_lower(host);
  for (const auto &file : files)
    scan_known_hosts(file, name, matches, findings);
  if (findings.revoked) return Error{"the ssh host key of " + host + " is marked @revoked in known_hosts"};
  if (findings.accepted || listed_elsewhere) return {};
  if (findings.listed) {
    return Error{"the ssh host key of " + host + " does not match known_hosts (" + joined(files) +
                 "): the key changed or someone is intercepting the connection"};
  }
  return Error{"the ssh host " + host + " is not in known_hosts (" + joined(files) +
               "); add its key (ssh-keyscan, after checking the fingerprint)"};
}

Result<void> check_known_host(const std::string &host, std::string_view key,
                              const std::vector<std::filesystem::path> &files) {
  return check_host_key(host, matches_key(std::string(key)), files);
}

bool is_host_listed(const std::string &host, const std::vector<std::filesystem::path> &files) {
  HostKeyFindings findings;
  const HostKeyMatcher none = [](const std::string &) { return false; };
  for (const auto &file : files)
    scan_known_hosts(file, ascii_lower(host), none, findings);
  return findings.listed;
}

std::vector<std::filesystem::path> known_hosts_files(const std::optional<std::filesystem::path> &configured) {
  std::vector<std::filesystem::path> files;
  if (configured) files.push_back(*configured);
  files.emplace_back("/etc/ssh/ssh_known_hosts");
  if (const char *home = std::getenv("HOME"); home && *home && std::string_view(home) != "/")
    files.push_back(std::filesystem::path(home) / ".ssh/known_hosts");
  return files;
}

} // namespace tasksync

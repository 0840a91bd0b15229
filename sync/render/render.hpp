#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/task_version.hpp"

namespace tasksync {

// One file of a task's directory: its name and exact bytes.
struct RenderedFile {
  std::string name;
  std::string content;
};

// Everything `tasks/<taskId>/` must hold for one version, sorted by file name.
struct Snapshot {
  std::vector<RenderedFile> files;
};

// The code file's name for a `language`: typescript (or none) task.ts, javascript task.js, python
// task.py, workflow task.workflow.json, predefined and anything else task.txt.
std::string code_file_name(const std::optional<std::string> &language);

// True when `language` is one the API documents (absent counts as typescript): no warning.
bool is_known_language(const std::optional<std::string> &language);

// True when an object key names a credential: lower-cased, with every character that is not an
// ASCII letter or digit dropped, it contains password, passwd, passphrase, secret, token, apikey,
// accesskey, privatekey, credential, authorization or cookie ("proxy_password", "apiKey",
// "x-api-key", "Set-Cookie", also "tokenizer": a false alarm costs a value, a miss leaks one).
bool is_credential_key(std::string_view key);

// task.json: the version's metadata with keys sorted at every depth, 2-space indentation and a
// final newline; every value under a credential key (is_credential_key) at any depth, arrays
// included, is the string "<redacted>" whatever its type, and every other string, object keys,
// the description and the language included, has its URL userinfo redacted (redact_url_userinfo).
std::string render_sidecar(const TaskVersion &version);

// A browserConfiguration as task.json holds it (keys sorted, credentials and URL userinfo
// redacted), as a JSON text of its own: two configurations with the same text make the same
// task.json member. Redacting what is already redacted changes nothing, so HEAD's member gives
// the text of the configuration it was rendered from.
std::string canonical_configuration(const rapidjson::Value &configuration);

// The task directory for a version: the decoded code and the sidecar. Pure, no I/O.
Snapshot render(const TaskVersion &version);

} // namespace tasksync

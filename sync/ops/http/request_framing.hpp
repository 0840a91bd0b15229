#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tasksync::http {

/// What the listener reads of a request head before handing the request on: enough to know
/// which route it is for and where its body ends.
struct RequestHead {
  std::string method;
  std::string path; // the target without its query
  std::optional<std::string> content_length;
  std::optional<std::string> transfer_encoding; // its lines joined with ", ", as one list
  bool expects_continue = false;                // Expect: 100-continue
  bool ambiguous = false;                       // Content-Length twice with different values, or a header line
                                                // another parser could read otherwise (space before the colon, folding)
};

// Reads the request line and the headers of `head` (up to and without the empty line).
RequestHead read_request_head(std::string_view head);

/// Where a request's body ends, found as its bytes arrive: after Content-Length bytes, or after
/// the last chunk of a chunked one (whose framing is followed, not decoded: httplib decodes it).
class BodyFraming {
public:
  enum class Status {
    incomplete, // more bytes are needed
    complete,   // the body is the first end() bytes
    too_large,  // it would exceed the limit (by its Content-Length, or by what was sent)
    malformed,  // neither framing, or framing that is broken
  };

  // The framing `head` announces for a body of at most `max_bytes`.
  explicit BodyFraming(const RequestHead &head, std::size_t max_bytes);

  // Looks at the body's bytes so far (all that followed the head; each call with more of them).
  Status scan(std::string_view body);
  // The body's length in bytes as sent, once complete.
  std::size_t end() const { return m_end; }
  // The most bytes of body worth reading: beyond it, scan() says too_large.
  std::size_t read_limit() const;

private:
  Status scan_chunks(std::string_view body);

  std::size_t m_max_bytes;
  Status m_status = Status::incomplete;
  bool m_chunked = false;
  std::size_t m_length = 0;  // Content-Length
  std::size_t m_end = 0;     // complete: the body's size; chunked: where the next chunk starts
  std::size_t m_decoded = 0; // chunked: data bytes so far
  bool m_trailer = false;    // chunked: the last chunk was seen, trailer lines follow
};

} // namespace tasksync::http
